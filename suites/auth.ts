// Auth: the Docker token-auth protocol (distribution-auth-token.md, -oauth.md, -jwt.md, -scope.md) and
// Basic auth as registries use it. Runs when the target requires auth (an anonymous request is
// answered 401), or always with --auth-tests. Token cases talk to the realm the registry names, with
// the run's credentials; each refusal is checked for status, challenge and error body.
import { randomBytes } from 'node:crypto';
import type { CaseContext, CaseDefinition, Requirement, SecondIdentity, Suite } from '../src/conformance/model.js';
import { digestOf } from '../src/oci/digest.js';
import type { RegistryResponse } from '../src/client/registry-client.js';
import { TokenEndpointClient, type TokenHttpResponse } from '../src/client/token-endpoint.js';
import { ACCEPT_MANIFESTS, tryDelete, uploadBlobPostPut } from '../src/client/operations.js';
import { expectStatus, expectThat, fail } from '../src/conformance/expect.js';
import { expectErrorCodeIfJson } from '../src/conformance/content-checks.js';
import { AuthEngine } from '../src/auth/auth-engine.js';
import { challengeScopes, parseChallenges, type Challenge } from '../src/auth/challenge.js';
import { parseScope } from '../src/auth/scope.js';
import { redact } from '../src/auth/redact.js';
import { basicHeader } from '../src/auth/token-client.js';
import { uniqueBytes } from '../src/conformance/fixtures.js';

type Mode = 'bearer' | 'basic';
type Creds = { username: string; password: string };
/** What pull cases read (see AuthState.target). */
type Target = { repo: string; path: string };

interface AuthState {
  mode: Mode;
  challenge: Challenge;
  /** Bearer: the realm and service of the registry's challenge. */
  realm?: URL;
  service?: string;
  http: TokenEndpointClient;
  creds?: Creds;
  /** What pull cases read: a blob setup pushed into ctx.repo, or the --tag/--digest content (read-only). */
  target?: Target;
  /** The pushed blob (mount case). */
  blobDigest?: string;
  /** Its bytes (the second-identity pull checks that none of them leak). */
  blobBytes?: Buffer;
}

/** The state of a registry that answered with a Bearer challenge. */
type BearerState = AuthState & { realm: URL };

const KEY = 'auth';

// The spec texts each case checks.
const R = {
  challenge401: {
    ref: 'auth-token: How to authenticate',
    level: 'MUST',
    text: 'If the registry server requires authentication it will return a 401 Unauthorized response with a WWW-Authenticate header detailing how to authenticate to this registry (RFC 7235 3.1: a server generating a 401 MUST send a WWW-Authenticate header field).',
  },
  challengeFields: {
    ref: 'auth-scope: Resource Provider Use',
    level: 'SHOULD',
    text: 'When appropriate authorization is not provided ... the resource provider to return a WWW-AUTHENTICATE HTTP header with the realm as the authorization server, the service as the expected audience identifying string, and a scope field for each required resource scope.',
  },
  tokenFields: {
    ref: 'auth-token: Token Response Fields',
    level: 'MUST',
    text: 'token / access_token: At least one of these fields must be specified, but both may also appear.',
  },
  tokenLifetime: {
    ref: 'auth-token: Token Response Fields (expires_in)',
    level: 'SHOULD',
    text: 'For compatibility with older clients, a token should never be returned with less than 60 seconds to live.',
  },
  badCredentials: {
    ref: 'auth-token: Requesting a Token',
    level: 'SHOULD',
    text: 'If an attempt to authenticate to the token server fails, the token server should return a 401 Unauthorized response indicating that the provided credentials are invalid.',
  },
  refused: {
    ref: 'auth-scope: Resource Provider Use',
    level: 'MUST',
    text: 'The resource provider must ensure that ANY resource being accessed as the result of a request has the appropriate access scope. Both the resource type and resource name must match the accessed resource and an appropriate action scope must be included.',
  },
  verify: {
    ref: 'auth-jwt: Verifying the token',
    level: 'MUST',
    text: 'The registry must now verify the token ... Verify that the signature of the token is valid. Check that the current time is between the nbf and exp claim times. If any of these requirements are not met, the registry will return a 403 Forbidden response (distribution answers 401 with error="invalid_token"; both are accepted).',
  },
  errorBody: {
    ref: 'error-codes (code-11 UNAUTHORIZED, code-12 DENIED)',
    level: 'MUST',
    text: 'If the response body is in JSON format, it MUST have the format {"errors":[{"code","message","detail"}]}: UNAUTHORIZED "authentication required", DENIED "requested access to the resource is denied".',
  },
  anonymous: {
    ref: 'auth-token: Requesting a Token',
    level: 'MAY',
    text: 'Whether the token server requires authentication is up to the policy of that access control provider ... (such as pulling from a public repository).',
  },
  oauthPost: {
    ref: 'auth-oauth: Getting a token',
    level: 'MUST',
    text: 'Response fields: access_token (REQUIRED), scope (REQUIRED), expires_in (REQUIRED). Not all token servers implement oauth2: a 404 to POST means use GET.',
  },
  refreshToken: {
    ref: 'auth-oauth: Example refreshing an Access Token',
    level: 'MUST',
    text: 'When requesting an access token with a refresh token this should be set to "refresh_token" ... Token which can be used to get additional access tokens for the same subject with different scopes.',
  },
  mount: {
    ref: 'end-11 / auth-scope',
    level: 'MUST',
    text: 'A mount reads the blob from repository <from>: the request needs pull access on it ("ANY resource being accessed ... must have the appropriate access scope"); without it the blob MUST NOT be mounted.',
  },
  usable: {
    ref: 'auth-token: Using the Bearer token',
    level: 'MUST',
    text: 'Once the client has a token, it will try the registry request again with the token placed in the HTTP Authorization header (a token granting an action lets the client do it).',
  },
  pullWithToken: {
    ref: 'auth-token: Using the Bearer token',
    level: 'MUST',
    text: 'Once the client has a token, it will try the registry request again with the token placed in the HTTP Authorization header.',
  },
  scopeGrammar: {
    ref: 'auth-scope: Resource Scope Grammar',
    level: 'MUST',
    text: 'resourcescope := resourcetype ":" resourcename ":" action [ "," action ]*',
  },
  badInput: {
    ref: 'RFC 7235 3.1 / error-codes',
    level: 'MUST',
    text: 'Credentials the server cannot accept are refused with 401 and a WWW-Authenticate challenge; malformed input is a client error (4XX), never a server error.',
  },
} satisfies Record<string, Requirement>;

function state(ctx: CaseContext): AuthState {
  const s = ctx.state.get(KEY) as AuthState | undefined;
  if (!s) throw new Error('auth state missing: suite setup did not run');
  return s;
}

function bearer(ctx: CaseContext): BearerState {
  const s = state(ctx);
  if (s.mode !== 'bearer' || !s.realm) ctx.skip('unsupported', 'the registry uses Basic auth: token cases do not apply');
  return s as BearerState;
}

function needCreds(ctx: CaseContext, s: AuthState): Creds {
  if (!s.creds) ctx.skip('unsupported', 'no credentials were given (--username/--password, REGPROBE_USERNAME/REGPROBE_PASSWORD or docker config)');
  return s.creds;
}

function needTarget(ctx: CaseContext, s: AuthState): Target {
  if (!s.target) ctx.skip(ctx.readOnly ? 'read-only' : 'unsupported', ctx.readOnly ? 'read-only run without --tag/--digest: nothing to pull' : 'setup could not push a blob with the given credentials');
  return s.target;
}

/** GET on the realm; `creds` as Basic; one `scope` parameter per entry (token.md). */
async function tokenGet(s: BearerState, scopes: string[], creds?: Creds, extra?: Record<string, string>): Promise<TokenHttpResponse> {
  const url = new URL(s.realm);
  if (s.service !== undefined) url.searchParams.set('service', s.service);
  for (const sc of scopes) url.searchParams.append('scope', sc);
  if (creds) url.searchParams.set('account', creds.username);
  for (const [k, v] of Object.entries(extra ?? {})) url.searchParams.set(k, v);
  return s.http.send({ method: 'GET', url, headers: creds ? { authorization: basicHeader(creds.username, creds.password) } : {} });
}

function describeToken(r: TokenHttpResponse): string {
  return redact(`${r.status} ${r.body.slice(0, 200)}`);
}

/** The Bearer realm and the run's credentials, in that order; the first one missing skips the case, saying why. */
function bearerWithCreds(ctx: CaseContext): { s: BearerState; creds: Creds } {
  const s = bearer(ctx);
  return { s, creds: needCreds(ctx, s) };
}

/** What most token cases need: bearerWithCreds, then content to pull (needTarget). */
function tokenFlow(ctx: CaseContext): { s: BearerState; creds: Creds; tgt: Target } {
  const { s, creds } = bearerWithCreds(ctx);
  return { s, creds, tgt: needTarget(ctx, s) };
}

/** The token of a 200 answer (token or access_token), or a failure naming the exchange. */
function tokenOf(r: TokenHttpResponse, what: string): string {
  if (r.status !== 200) fail(`${what}: 200 with a token`, `token endpoint answered ${describeToken(r)}`);
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(r.body) as Record<string, unknown>;
  } catch {
    fail(`${what}: a JSON token response`, `a body that is not JSON: ${describeToken(r)}`);
  }
  const t = typeof o.token === 'string' && o.token ? o.token : typeof o.access_token === 'string' && o.access_token ? o.access_token : undefined;
  if (!t) fail(`${what}: "token" or "access_token" in the response`, `fields ${Object.keys(o).join(', ') || '(none)'}`);
  return t;
}

/** An OAuth2 POST to the realm (auth-oauth) with these form fields, then the service when the challenge named one. */
function oauthPost(s: BearerState, fields: Record<string, string>): Promise<TokenHttpResponse> {
  const form = new URLSearchParams(fields);
  if (s.service !== undefined) form.set('service', s.service);
  return s.http.send({ method: 'POST', url: s.realm, form });
}

/** A token for `scopes` with these credentials (tokenGet, then tokenOf). */
async function fetchToken(s: BearerState, scopes: string[], creds: Creds, what: string): Promise<string> {
  return tokenOf(await tokenGet(s, scopes, creds), what);
}

/** A request with exactly this Authorization (or none): no engine, no retry. */
function withAuth(ctx: CaseContext, method: string, path: string, authorization?: string, query?: Record<string, string>): Promise<RegistryResponse> {
  return ctx.client.request({
    method,
    path,
    anonymous: true,
    ...(query ? { query } : {}),
    headers: {
      ...(authorization !== undefined ? { authorization } : {}),
      ...(method === 'POST' || method === 'PUT' ? { 'content-length': '0' } : {}),
      ...(path.includes('/manifests/') ? { accept: ACCEPT_MANIFESTS } : {}),
    },
  });
}

/**
 * The request must be refused: 401 (with a challenge, RFC 7235) or 403; a JSON body must be the error
 * shape with UNAUTHORIZED or DENIED. Returns the parsed challenge of a 401.
 */
async function expectRefused(ctx: CaseContext, res: RegistryResponse, what: string, allow403 = true, bodyText?: string): Promise<Challenge[]> {
  const ok = allow403 ? [401, 403] : [401];
  if (!ok.includes(res.status)) {
    await expectStatus(res, ok, `${what} refused`);
  }
  let challenges: Challenge[] = [];
  if (res.status === 401) {
    const h = res.header('www-authenticate');
    if (!h) fail(`${what}: a 401 with a WWW-Authenticate challenge (RFC 7235 3.1)`, 'no WWW-Authenticate header', res);
    challenges = parseChallenges(h);
    if (challenges.length === 0) fail(`${what}: a readable WWW-Authenticate challenge`, `WWW-Authenticate: ${h}`, res);
  }
  ctx.observe(`${what} status`, res.status);
  await expectErrorCodeIfJson(res, ['UNAUTHORIZED', 'DENIED'], what, bodyText);
  return challenges;
}

/** A 200 is recorded as allowed; anything else must be a proper refusal, recorded as refused. */
async function allowedOrRefused(ctx: CaseContext, res: RegistryResponse, what: string, key: string): Promise<void> {
  if (res.status === 200) {
    await res.dump();
    ctx.observe(key, 'allowed');
    return;
  }
  await expectRefused(ctx, res, what);
  ctx.observe(key, 'refused');
}

/** Cancels the upload session a POST opened (when it did), so a refusal check leaves nothing behind. */
async function closeSession(ctx: CaseContext, res: RegistryResponse): Promise<boolean> {
  if (res.status !== 202) return false;
  const loc = res.header('location');
  await res.dump();
  if (loc) await tryDelete(ctx.client, loc);
  return true;
}

/** What a refused (or blocked) action left behind: HEAD of the blob, as the run's own identity, answers `want`. */
async function expectBlobHead(ctx: CaseContext, path: string, want: number, expected: string): Promise<void> {
  const head = await ctx.client.request({ method: 'HEAD', path });
  await head.dump();
  expectThat(head.status === want, expected, `HEAD answered ${head.status}`, head);
}

function blobPath(repo: string, digest: string): string {
  return `/v2/${repo}/blobs/${digest}`;
}

function tamper(token: string): { label: string; token: string }[] {
  const parts = token.split('.');
  const out: { label: string; token: string }[] = [];
  const flip = (s: string) => (s.length > 0 ? s.slice(0, -2) + (s.slice(-2) === 'AA' ? 'BB' : 'AA') : 'AA');
  if (parts.length === 3) {
    let header: Record<string, unknown> = {};
    let claims: Record<string, unknown> = {};
    try {
      header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      /* opaque token that happens to have two dots */
    }
    const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    out.push({ label: 'signature altered', token: `${parts[0]}.${parts[1]}.${flip(parts[2]!)}` });
    out.push({ label: 'exp moved into the past (signature kept)', token: `${parts[0]}.${enc({ ...claims, exp: Math.floor(Date.now() / 1000) - 3600, nbf: Math.floor(Date.now() / 1000) - 7200 })}.${parts[2]}` });
    out.push({ label: 'alg "none", no signature', token: `${enc({ ...header, alg: 'none' })}.${parts[1]}.` });
  } else {
    out.push({ label: 'token altered', token: flip(token) });
  }
  out.push({ label: 'garbage', token: randomBytes(24).toString('base64url') });
  return out;
}

/** What a scope row tries: pull a blob, open an upload, delete a blob, list the catalog. */
type ScopeAction = 'pull' | 'push' | 'delete' | 'catalog';

interface ScopeRow {
  /** The scopes asked of the token endpoint. */
  grant: string[];
  action: ScopeAction;
  /** refused: MUST be refused; allowed: MUST be served; policy: served, or refused by the account's rights. */
  expect: 'allowed' | 'refused' | 'policy';
}

/** The table: one action at a time, both ways (auth-scope: "an appropriate action scope must be included"). */
function scopeRows(repo: string, other: string): ScopeRow[] {
  const r = (actions: string) => `repository:${repo}:${actions}`;
  return [
    { grant: [r('pull')], action: 'pull', expect: 'allowed' },
    { grant: [r('pull')], action: 'push', expect: 'refused' },
    { grant: [r('pull')], action: 'delete', expect: 'refused' },
    { grant: [r('pull,push')], action: 'push', expect: 'allowed' },
    { grant: [r('pull,push')], action: 'delete', expect: 'refused' },
    { grant: [r('push')], action: 'pull', expect: 'refused' },
    { grant: [`repository:${other}:pull,push,delete`], action: 'pull', expect: 'refused' },
    { grant: [`repository:${other}:pull,push,delete`], action: 'push', expect: 'refused' },
    { grant: [`repository:${other}:pull,push,delete`], action: 'delete', expect: 'refused' },
    { grant: [r('pull,push')], action: 'catalog', expect: 'refused' },
    { grant: ['registry:catalog:*'], action: 'pull', expect: 'refused' },
    { grant: ['registry:catalog:*'], action: 'catalog', expect: 'policy' },
    // Last: it may delete the blob the refused deletes above had to leave alone.
    { grant: [r('delete')], action: 'delete', expect: 'policy' },
  ];
}

async function scopeAction(ctx: CaseContext, action: ScopeAction, authorization: string, pullPath: string, victim: string): Promise<RegistryResponse> {
  switch (action) {
    case 'pull':
      return withAuth(ctx, 'GET', pullPath, authorization);
    case 'push':
      return withAuth(ctx, 'POST', `/v2/${ctx.repo}/blobs/uploads/`, authorization);
    case 'delete':
      return withAuth(ctx, 'DELETE', blobPath(ctx.repo, victim), authorization);
    case 'catalog':
      return withAuth(ctx, 'GET', '/v2/_catalog', authorization);
  }
}

/**
 * Whether a JWT token's `access` claim (auth-jwt) grants `action` on the resource; false for an opaque
 * token or one that does not say.
 */
function tokenGrants(token: string, type: string, name: string, action: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { access?: Array<{ type?: string; name?: string; actions?: string[] }> };
    return (claims.access ?? []).some((a) => a.type === type && a.name === name && (a.actions ?? []).some((x) => x === action || x === '*'));
  } catch {
    return false;
  }
}

/** What the answer to a row's request means: allowed, refused (checked), or a reason it says nothing. */
async function judgeScopeRow(ctx: CaseContext, row: ScopeRow, res: RegistryResponse, label: string): Promise<string> {
  const served = row.action === 'push' ? res.status === 202 : row.action === 'delete' ? res.status === 202 : res.status === 200;
  if (row.action === 'push') await closeSession(ctx, res);
  if (served) {
    await res.dump();
    if (row.expect === 'refused') fail(`${label}: refused (401 or 403)`, `${res.status}: the action was allowed`, res);
    return 'allowed';
  }
  // Not offered at all (no catalog; deletion disabled): says nothing about the scope.
  if ((row.action === 'catalog' && res.status === 404) || (row.action === 'delete' && (res.status === 400 || res.status === 405))) {
    await res.dump();
    if (row.expect === 'refused' && res.status !== 404) return `not performed (${res.status}: deletion disabled)`;
    return `not offered (${res.status})`;
  }
  if (row.expect === 'allowed' && res.status !== 401 && res.status !== 403) await expectStatus(res, row.action === 'push' ? 202 : 200, label);
  await expectRefused(ctx, res, label);
  if (row.expect === 'allowed') fail(`${label}: allowed (the token grants exactly this)`, `${res.status}: refused`, res);
  return row.expect === 'policy' ? `refused (${res.status}, the account's rights)` : `refused (${res.status})`;
}

/**
 * The Authorization a second identity gets for `scopes`: Basic, or a token from the realm. A token
 * endpoint that refuses the identity outright answers for the registry (the refusal is the same).
 */
async function secondAuthorization(ctx: CaseContext, s: AuthState, who: SecondIdentity, scopes: string[]): Promise<{ authorization?: string; refusedBy?: number }> {
  if (s.mode === 'basic') return { authorization: basicHeader(who.username, who.password) };
  const r = await tokenGet(s as BearerState, scopes, who);
  if (r.status === 401 || r.status === 403) return { refusedBy: r.status };
  return { authorization: `Bearer ${tokenOf(r, `GET token for ${who.username}`)}` };
}

/**
 * auth.second-identity.<action>-refused: the account named by --second-username may not pull, push or
 * delete in the run's repository: 401/403, DENIED or UNAUTHORIZED in a JSON body, and nothing leaks
 * (no content in the refusal, nothing stored, nothing deleted).
 */
function secondIdentityCase(action: 'pull' | 'push' | 'delete'): CaseDefinition {
  const doing = { pull: 'pull a blob', push: 'push a blob', delete: 'delete a blob' }[action];
  return {
    id: `auth.second-identity.${action}-refused`,
    title: `An identity without rights on the repository (--second-username) cannot ${doing}: 401 or 403 with DENIED or UNAUTHORIZED, and no content leaks.`,
    requirements: [R.refused, R.errorBody, { ref: 'code-12 DENIED', level: 'SHOULD', text: 'DENIED: requested access to the resource is denied (the error body, when JSON, names it or UNAUTHORIZED; which code is a SHOULD, the MUST is only that it is one of the table)' }],
    ...(action === 'pull' ? { readOnly: true } : {}),
    async run(ctx) {
      const s = state(ctx);
      const who = ctx.secondIdentity ?? ctx.skip('unsupported', 'no second identity given (--second-username/--second-password or REGPROBE_SECOND_USERNAME/REGPROBE_SECOND_PASSWORD): DENIED needs an account the registry refuses');
      const tgt = needTarget(ctx, s);
      const what = `${action} by ${who.username}`;
      if (action === 'pull') {
        const content = s.blobBytes;
        const { authorization, refusedBy } = await secondAuthorization(ctx, s, who, [`repository:${tgt.repo}:pull`]);
        if (refusedBy !== undefined) return void ctx.observe('refused by', `token endpoint (${refusedBy})`);
        const res = await withAuth(ctx, 'GET', tgt.path, authorization);
        if (res.status === 200) {
          await res.dump();
          fail(`${what}: refused (401 or 403)`, '200: the content was served', res);
        }
        const body = await res.bytes(1024 * 1024).catch(() => Buffer.alloc(0));
        const text = body.toString('utf8');
        if (content && body.includes(content)) fail(`${what}: a refusal that does not carry the content`, 'the blob\'s bytes in the refusal body', res, text);
        expectThat(!res.header('docker-content-digest'), `${what}: no Docker-Content-Digest on the refusal`, `Docker-Content-Digest: ${res.header('docker-content-digest')}`, res);
        await expectRefused(ctx, res, what, true, text);
        return;
      }
      if (tgt.repo !== ctx.repo) ctx.skip('read-only', `${action} needs a repository this run pushes to`);
      const bytes = uniqueBytes(40);
      const digest = digestOf(bytes);
      let victim: string | undefined;
      if (action === 'delete') {
        victim = (await uploadBlobPostPut(ctx.client, ctx.repo, bytes)).digest;
        ctx.onCleanup(async () => {
          await tryDelete(ctx.client, blobPath(ctx.repo, digest));
        });
      }
      const { authorization, refusedBy } = await secondAuthorization(ctx, s, who, [`repository:${ctx.repo}:${action === 'push' ? 'pull,push' : 'delete'}`]);
      if (refusedBy !== undefined) ctx.observe('refused by', `token endpoint (${refusedBy})`);
      else {
        const res =
          action === 'push'
            ? await ctx.client.request({ method: 'POST', path: `/v2/${ctx.repo}/blobs/uploads/`, anonymous: true, query: { digest }, headers: { ...(authorization ? { authorization } : {}), 'content-type': 'application/octet-stream', 'content-length': String(bytes.length) }, body: bytes })
            : await withAuth(ctx, 'DELETE', blobPath(ctx.repo, victim!), authorization);
        if (res.status === 201 || res.status === 202) {
          if (!(await closeSession(ctx, res))) await res.dump();
          if (res.status === 201) ctx.onCleanup(async () => void (await tryDelete(ctx.client, blobPath(ctx.repo, digest))));
          fail(`${what}: refused (401 or 403)`, `${res.status}: the registry went ahead`, res);
        }
        await expectRefused(ctx, res, what);
      }
      // Refused means no effect: checked with the run's own identity.
      const want = action === 'push' ? 404 : 200;
      await expectBlobHead(ctx, blobPath(ctx.repo, digest), want, `after the refused ${action}, the blob ${action === 'push' ? 'absent' : 'still there'} (HEAD ${want})`);
    },
  };
}

/** Runs auth.challenge.missing-credentials. */
async function missingCredentials(ctx: CaseContext): Promise<void> {
  const s = state(ctx);
  const path = s.target?.path ?? '/v2/';
  const res = await withAuth(ctx, 'GET', path);
  if (res.status === 200) {
    await res.dump();
    ctx.observe('anonymous GET', path);
    if (path !== '/v2/' && !ctx.readOnly) {
      // Anonymous pull allowed: the challenge must then be seen on /v2/ or a push.
      const push = await withAuth(ctx, 'POST', `/v2/${ctx.repo}/blobs/uploads/`);
      await closeSession(ctx, push);
      const ch = await expectRefused(ctx, push, 'anonymous POST upload', false);
      expectThat(ch.some((c) => c.params.realm !== undefined || c.scheme === 'basic'), 'a challenge with a realm', JSON.stringify(ch), push);
      return;
    }
    if (path !== '/v2/') ctx.skip('unsupported', 'anonymous pull is allowed and a read-only run does not try a push');
    fail('a 401 for an anonymous request', '200', res);
  }
  const ch = await expectRefused(ctx, res, `anonymous GET ${path}`, false);
  const b = ch.find((c) => c.scheme === 'bearer');
  if (b) {
    expectThat(b.params.realm !== undefined && /^https?:\/\//i.test(b.params.realm), 'a Bearer challenge with an absolute http(s) realm', `realm ${JSON.stringify(b.params.realm)}`, res);
    ctx.observe('scheme', 'Bearer');
  } else {
    expectThat(ch.some((c) => c.scheme === 'basic'), 'a Bearer or Basic challenge', ch.map((c) => c.scheme).join(', '), res);
    ctx.observe('scheme', 'Basic');
  }
}

/** Runs auth.challenge.service-and-scope. */
async function challengeServiceAndScope(ctx: CaseContext): Promise<void> {
  const s = bearer(ctx);
  const tgt = needTarget(ctx, s);
  const res = await withAuth(ctx, 'GET', tgt.path);
  if (res.status === 200) {
    await res.dump();
    ctx.skip('unsupported', 'anonymous pull is allowed here: no challenge to look at');
  }
  const ch = await expectRefused(ctx, res, 'anonymous GET blob', false);
  const b = ch.find((c) => c.scheme === 'bearer');
  if (!b) fail('a Bearer challenge', ch.map((c) => c.scheme).join(', '), res);
  expectThat(b.params.service !== undefined, 'a service parameter in the challenge', `challenge ${JSON.stringify(b.params)}`, res);
  const scopes = challengeScopes(b).map(parseScope);
  expectThat(
    scopes.some((r) => r !== null && r.type.startsWith('repository') && r.name === tgt.repo && r.actions.includes('pull')),
    `a scope repository:${tgt.repo}:pull in the challenge`,
    `scope ${JSON.stringify(b.params.scope ?? '(none)')}`,
    res,
  );
}

/** Runs auth.token.issued. */
async function tokenIssued(ctx: CaseContext): Promise<void> {
  const { s, creds } = bearerWithCreds(ctx);
  const r = await tokenGet(s, [`repository:${ctx.repo}:pull`], creds);
  tokenOf(r, 'GET token with credentials');
  const o = JSON.parse(r.body) as Record<string, unknown>;
  ctx.observe('fields', ['token', 'access_token', 'expires_in', 'issued_at', 'refresh_token'].filter((k) => k in o).join(','));
  if (typeof o.token === 'string' && typeof o.access_token === 'string' && o.token !== o.access_token) ctx.observe('token and access_token differ', true);
  if (o.expires_in !== undefined) {
    expectThat(typeof o.expires_in === 'number' && o.expires_in >= 60, 'expires_in a number >= 60', `expires_in ${JSON.stringify(o.expires_in)}`);
    ctx.observe('expires_in', o.expires_in as number);
  } else ctx.observe('expires_in', 'absent (60 s by default)');
  if (o.issued_at !== undefined) {
    expectThat(typeof o.issued_at === 'string' && Number.isFinite(Date.parse(o.issued_at)), 'issued_at an RFC 3339 time', `issued_at ${JSON.stringify(o.issued_at)}`);
  }
}

/** Runs auth.token.usable. */
async function tokenUsable(ctx: CaseContext): Promise<void> {
  const { s, creds, tgt } = tokenFlow(ctx);
  const t = await fetchToken(s, [`repository:${tgt.repo}:pull`], creds, 'GET token');
  const res = await withAuth(ctx, 'GET', tgt.path, `Bearer ${t}`);
  await expectStatus(res, 200, 'GET blob with a pull token');
  await res.dump();
}

/** Runs auth.credentials.wrong-password. */
async function wrongPassword(ctx: CaseContext): Promise<void> {
  const s = state(ctx);
  const creds = needCreds(ctx, s);
  const wrong = { username: creds.username, password: `${creds.password}-wrong-${randomBytes(3).toString('hex')}` };
  if (s.mode === 'basic') {
    const res = await withAuth(ctx, 'GET', '/v2/', basicHeader(wrong.username, wrong.password));
    await expectRefused(ctx, res, 'GET /v2/ with a wrong password', false);
    return;
  }
  const r = await tokenGet(s as BearerState, [`repository:${ctx.repo}:pull`], wrong);
  ctx.observe('token endpoint status', r.status);
  if (r.status === 200) fail('the token endpoint refuses a wrong password (401)', `200: a token was issued (${describeToken(r)})`);
  expectThat(r.status === 401, 'status 401 for a wrong password', `status ${r.status}: ${describeToken(r)}`);
}

/** Runs auth.anonymous.pull-as-configured. */
async function anonymousPull(ctx: CaseContext): Promise<void> {
  const s = state(ctx);
  const tgt = needTarget(ctx, s);
  let authorization: string | undefined;
  if (s.mode === 'bearer') {
    const r = await tokenGet(s as BearerState, [`repository:${tgt.repo}:pull`]);
    ctx.observe('anonymous token', r.status);
    if (r.status !== 200) {
      expectThat([401, 403].includes(r.status), 'an anonymous token request answered 200, 401 or 403', `status ${r.status}: ${describeToken(r)}`);
      ctx.observe('anonymous pull', 'refused by the token endpoint');
      return;
    }
    authorization = `Bearer ${tokenOf(r, 'anonymous token')}`;
  }
  await allowedOrRefused(ctx, await withAuth(ctx, 'GET', tgt.path, authorization), 'anonymous GET', 'anonymous pull');
}

/** Runs auth.scope.pull-token-cannot-push. */
async function pullTokenCannotPush(ctx: CaseContext): Promise<void> {
  const { s, creds } = bearerWithCreds(ctx);
  const t = await fetchToken(s, [`repository:${ctx.repo}:pull`], creds, 'GET pull token');
  const res = await withAuth(ctx, 'POST', `/v2/${ctx.repo}/blobs/uploads/`, `Bearer ${t}`);
  if (await closeSession(ctx, res)) fail('a pull-only token refused for a push (401 or 403)', '202: an upload session was opened', res);
  const ch = await expectRefused(ctx, res, 'POST upload with a pull-only token');
  if (res.status === 401) {
    const b = ch.find((c) => c.scheme === 'bearer');
    if (!b) fail('a Bearer challenge', ch.map((c) => c.scheme).join(', '), res);
    ctx.observe('error', b.params.error ?? '(none)');
    const scopes = challengeScopes(b).map(parseScope);
    expectThat(
      scopes.some((r) => r !== null && r.name === ctx.repo && r.actions.includes('push')),
      `the challenge scope names push on ${ctx.repo}`,
      `scope ${JSON.stringify(b.params.scope ?? '(none)')}`,
      res,
    );
  }
}

/** Runs auth.scope.other-repository-refused. */
async function otherRepositoryRefused(ctx: CaseContext): Promise<void> {
  const { s, creds, tgt } = tokenFlow(ctx);
  const other = ctx.freshRepo('other');
  const t = await fetchToken(s, [`repository:${other}:pull,push`], creds, 'GET token for another repository');
  const pull = await withAuth(ctx, 'GET', tgt.path, `Bearer ${t}`);
  await expectRefused(ctx, pull, `GET of ${tgt.repo} content with a token for ${other}`);
  const push = await withAuth(ctx, 'POST', `/v2/${ctx.repo}/blobs/uploads/`, `Bearer ${t}`);
  if (await closeSession(ctx, push)) fail(`POST upload to ${ctx.repo} with a token for ${other} refused (401 or 403)`, '202: an upload session was opened', push);
  await expectRefused(ctx, push, `POST upload to ${ctx.repo} with a token for ${other}`);
}

/** Runs auth.scope.boundaries. */
async function scopeBoundaries(ctx: CaseContext): Promise<void> {
  const { s, creds, tgt } = tokenFlow(ctx);
  if (tgt.repo !== ctx.repo) ctx.skip('read-only', 'the scope boundaries need a blob this run pushed');
  // A blob of its own for the delete rows (deleted by the one row that may delete it).
  const victim = await uploadBlobPostPut(ctx.client, ctx.repo, uniqueBytes(48));
  ctx.onCleanup(async () => {
    await tryDelete(ctx.client, blobPath(ctx.repo, victim.digest));
  });
  const other = ctx.freshRepo('scope-other');
  const seen: string[] = [];
  for (const row of scopeRows(ctx.repo, other)) {
    const label = `${row.grant.join(' ')} -> ${row.action}`;
    const t = await fetchToken(s, row.grant, creds, `GET token for ${row.grant.join(' ')}`);
    const res = await scopeAction(ctx, row.action, `Bearer ${t}`, tgt.path, victim.digest);
    // A token server may grant more than was asked (its policy): a JWT saying so turns "refused" into "policy".
    const extra = row.expect === 'refused' && tokenGrants(t, row.action === 'catalog' ? 'registry' : 'repository', row.action === 'catalog' ? 'catalog' : ctx.repo, row.action === 'catalog' ? '*' : row.action);
    const outcome = await judgeScopeRow(ctx, extra ? { ...row, expect: 'policy' } : row, res, label);
    seen.push(`${label}: ${outcome}`);
    if (row.action === 'delete' && outcome !== 'allowed') {
      // A refused delete must have deleted nothing.
      await expectBlobHead(ctx, blobPath(ctx.repo, victim.digest), 200, `${label}: refused, so the blob is still there (HEAD 200)`);
    }
  }
  ctx.observe('rows', seen.join('; '));
}

/** Runs auth.token.tampered-refused. */
async function tamperedTokenRefused(ctx: CaseContext): Promise<void> {
  const { s, creds, tgt } = tokenFlow(ctx);
  const t = await fetchToken(s, [`repository:${tgt.repo}:pull`], creds, 'GET token');
  for (const v of tamper(t)) {
    const res = await withAuth(ctx, 'GET', tgt.path, `Bearer ${v.token}`);
    if (res.status === 200) {
      await res.dump();
      fail(`a token with ${v.label} refused (401 or 403)`, '200: the blob was served', res);
    }
    await expectRefused(ctx, res, `GET blob with a token (${v.label})`);
  }
}

/** Runs auth.oauth.refresh-flow. */
async function oauthRefreshFlow(ctx: CaseContext): Promise<void> {
  const { s, creds, tgt } = tokenFlow(ctx);
  const scope = `repository:${tgt.repo}:pull`;
  const first = await oauthPost(s, { grant_type: 'password', username: creds.username, password: creds.password, client_id: 'regprobe', access_type: 'offline', scope });
  if (first.status === 404 || first.status === 405) ctx.skip('unsupported', `POST ${s.realm.pathname} answered ${first.status}: no OAuth2 (auth-oauth: "Not all token servers implement oauth2")`);
  const o = parseJson(first, 'POST grant_type=password');
  expectThat(typeof o.access_token === 'string' && o.access_token !== '', 'access_token in the answer (REQUIRED)', `fields ${Object.keys(o).join(', ')}`);
  expectThat(typeof o.scope === 'string', 'scope in the answer (REQUIRED)', `fields ${Object.keys(o).join(', ')}`);
  expectThat(typeof o.expires_in === 'number' && o.expires_in >= 60, 'expires_in a number >= 60 (REQUIRED)', `expires_in ${JSON.stringify(o.expires_in)}`);
  const refresh = typeof o.refresh_token === 'string' && o.refresh_token ? o.refresh_token : ctx.skip('unsupported', 'no refresh_token for access_type=offline (the field is optional)');
  const second = await oauthPost(s, { grant_type: 'refresh_token', refresh_token: refresh, client_id: 'regprobe', scope });
  const o2 = parseJson(second, 'POST grant_type=refresh_token');
  expectThat(typeof o2.access_token === 'string' && o2.access_token !== '', 'access_token from the refresh grant', `fields ${Object.keys(o2).join(', ')}`);
  const res = await withAuth(ctx, 'GET', tgt.path, `Bearer ${o2.access_token as string}`);
  await expectStatus(res, 200, 'GET with the token from the refresh grant');
  await res.dump();
  const third = await oauthPost(s, { grant_type: 'refresh_token', refresh_token: randomBytes(24).toString('base64url'), client_id: 'regprobe', scope });
  expectThat(third.status >= 400 && third.status < 500, 'an unknown refresh token refused with a 4XX', `status ${third.status}: ${describeToken(third)}`);
}

/** Runs auth.catalog.scope. */
async function catalogScope(ctx: CaseContext): Promise<void> {
  const { s, creds } = bearerWithCreds(ctx);
  const without = await fetchToken(s, [`repository:${ctx.repo}:pull`], creds, 'GET token without catalog scope');
  const res = await withAuth(ctx, 'GET', '/v2/_catalog', `Bearer ${without}`);
  if (res.status === 404) {
    await res.dump();
    ctx.skip('unsupported', 'GET /v2/_catalog answered 404: no catalog');
  }
  await expectRefused(ctx, res, 'GET /v2/_catalog without the catalog scope');
  const withScope = await fetchToken(s, ['registry:catalog:*'], creds, 'GET token with registry:catalog:*');
  const ok = await withAuth(ctx, 'GET', '/v2/_catalog', `Bearer ${withScope}`);
  await allowedOrRefused(ctx, ok, 'GET /v2/_catalog with registry:catalog:* (refused by policy)', 'catalog for this account');
}

/** Runs auth.mount.source-not-readable. */
async function mountSourceNotReadable(ctx: CaseContext): Promise<void> {
  const { s, creds } = bearerWithCreds(ctx);
  const digest = s.blobDigest ?? ctx.skip(ctx.readOnly ? 'read-only' : 'unsupported', 'no blob was pushed by setup');
  const target = ctx.freshRepo('mount');
  const t = await fetchToken(s, [`repository:${target}:pull,push`], creds, `GET token for ${target} only`);
  const res = await withAuth(ctx, 'POST', `/v2/${target}/blobs/uploads/`, `Bearer ${t}`, { mount: digest, from: ctx.repo });
  ctx.observe('mount without pull on source', res.status);
  if (res.status === 201) {
    await res.dump();
    await tryDelete(ctx.client, blobPath(target, digest));
    fail(`no mount from ${ctx.repo} without pull access on it`, '201 Created: the blob was mounted', res);
  }
  if (!(await closeSession(ctx, res))) await expectRefused(ctx, res, `POST mount from ${ctx.repo} without pull on it`);
  await expectBlobHead(ctx, blobPath(target, digest), 404, `the blob absent from ${target} afterwards (HEAD 404)`);
}

/** Runs auth.input.malformed-authorization. */
async function malformedAuthorization(ctx: CaseContext): Promise<void> {
  const s = state(ctx);
  const path = s.target?.path ?? '/v2/';
  const inputs: Array<[string, string]> = [
    ['Bearer without a token', 'Bearer'],
    ['Basic of bad base64', 'Basic !!!not-base64!!!'],
    ['Basic without a colon', `Basic ${Buffer.from('nocolon').toString('base64')}`],
    ['a JWT of garbage parts', 'Bearer e30.e30.e30'],
    ['a 6 KiB token', `Bearer ${'A'.repeat(6 * 1024)}`],
    ['an unknown scheme', 'Digest username="x"'],
  ];
  for (const [label, value] of inputs) {
    const res = await withAuth(ctx, 'GET', path, value);
    if (res.status === 200 && path !== '/v2/') {
      await res.dump();
      ctx.observe(`${label}`, 'served (anonymous pull allowed)');
      continue;
    }
    expectThat(res.status < 500, `${label}: a 4XX, not a server error`, `status ${res.status}`, res);
    await expectRefused(ctx, res, label, s.mode === 'bearer');
  }
}

/** Runs auth.token.odd-scope-grants-nothing. */
async function oddScopeGrantsNothing(ctx: CaseContext): Promise<void> {
  const { s, creds, tgt } = tokenFlow(ctx);
  const odd = [`repository:${tgt.repo}/../x:pull`, `repository:${tgt.repo.toUpperCase()}:pull`, 'repository::pull', 'no-colons-at-all', `repository:${tgt.repo}:PULL;DROP`, 'repository:a"b:pull'];
  for (const scope of odd) {
    const r = await tokenGet(s, [scope], creds);
    expectThat(r.status < 500, `scope ${JSON.stringify(scope)}: no server error from the token endpoint`, `status ${r.status}: ${describeToken(r)}`);
    if (r.status !== 200) continue;
    const t = tokenOf(r, `token for scope ${JSON.stringify(scope)}`);
    const res = await withAuth(ctx, 'GET', tgt.path, `Bearer ${t}`);
    if (res.status === 200) {
      await res.dump();
      // Anonymous pull may be allowed; then any valid token may pull too.
      const anon = await withAuth(ctx, 'GET', tgt.path);
      await anon.dump();
      if (anon.status === 200) continue;
      fail(`a token for ${JSON.stringify(scope)} refused on ${tgt.repo}`, '200: it could pull', res);
    }
    await expectRefused(ctx, res, `GET blob with a token for ${JSON.stringify(scope)}`);
  }
}

// The cases, in the order they run: what each checks, the spec texts it cites, and the function that runs it.
const cases: CaseDefinition[] = [
  { id: 'auth.challenge.missing-credentials', title: 'A request without credentials to a protected resource answers 401 with a WWW-Authenticate challenge naming its realm.', requirements: [R.challenge401, R.errorBody], readOnly: true, run: missingCredentials },
  { id: 'auth.challenge.service-and-scope', title: 'The Bearer challenge for a repository names the service and the scope the request needs.', requirements: [R.challengeFields], readOnly: true, run: challengeServiceAndScope },
  { id: 'auth.token.issued', title: 'The token endpoint answers valid credentials with a token (token and/or access_token) living at least 60 seconds.', requirements: [R.tokenFields, R.tokenLifetime], readOnly: true, run: tokenIssued },
  { id: 'auth.token.usable', title: 'A token from the token endpoint lets the client pull from the repository it was asked for.', requirements: [R.pullWithToken], readOnly: true, run: tokenUsable },
  { id: 'auth.credentials.wrong-password', title: 'A wrong password is refused: the token endpoint (or the registry, for Basic) answers 401.', requirements: [R.badCredentials, R.challenge401], readOnly: true, run: wrongPassword },
  { id: 'auth.anonymous.pull-as-configured', title: 'An anonymous pull is either allowed (public content) or refused with 401/403; both are legal, the answer is recorded.', requirements: [R.anonymous, R.errorBody], readOnly: true, run: anonymousPull },
  { id: 'auth.scope.pull-token-cannot-push', title: 'A token granting only pull cannot start an upload: 401 with error="insufficient_scope" naming the push scope (or 403).', requirements: [R.refused, R.challengeFields, R.errorBody], run: pullTokenCannotPush },
  { id: 'auth.scope.other-repository-refused', title: 'A token for one repository is refused on another repository.', requirements: [R.refused, R.errorBody], run: otherRepositoryRefused },
  { id: 'auth.scope.boundaries', title: 'Each action needs its own scope, both ways: pull lets pull but not push or delete, pull+push lets push but not delete, delete lets delete; a token for another repository opens nothing here; the catalog needs registry:catalog:*.', requirements: [R.refused, R.usable, R.errorBody], run: scopeBoundaries },
  secondIdentityCase('pull'),
  secondIdentityCase('push'),
  secondIdentityCase('delete'),
  { id: 'auth.token.tampered-refused', title: 'A token with an altered signature, an exp moved into the past, alg "none", or plain garbage is refused.', requirements: [R.verify, R.errorBody], readOnly: true, run: tamperedTokenRefused },
  { id: 'auth.oauth.refresh-flow', title: 'Where the token endpoint offers OAuth2 POST: a password grant with access_type=offline gives a refresh token, and the refresh grant gives a working access token.', requirements: [R.oauthPost, R.refreshToken], run: oauthRefreshFlow },
  { id: 'auth.catalog.scope', title: 'The catalog needs the registry:catalog:* scope: a token without it is refused; one with it is served or refused by policy.', requirements: [R.refused, R.errorBody], readOnly: true, run: catalogScope },
  { id: 'auth.mount.source-not-readable', title: 'A cross-repository mount with a token that cannot pull the source repository does not mount the blob.', requirements: [R.mount, R.errorBody], run: mountSourceNotReadable },
  { id: 'auth.input.malformed-authorization', title: 'Malformed Authorization headers (no token, bad base64, no colon, oversized, unknown scheme) are refused with 401, never a server error.', requirements: [R.badInput, R.errorBody], readOnly: true, run: malformedAuthorization },
  { id: 'auth.token.odd-scope-grants-nothing', title: 'The token endpoint answers scope strings with odd characters without a server error, and such a token opens nothing.', requirements: [R.refused, R.scopeGrammar], readOnly: true, run: oddScopeGrantsNothing },
];

function parseJson(r: TokenHttpResponse, what: string): Record<string, unknown> {
  if (r.status !== 200) fail(`${what}: 200`, `status ${describeToken(r)}`);
  try {
    const v = JSON.parse(r.body) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* below */
  }
  fail(`${what}: a JSON object`, describeToken(r));
}

export interface AuthSuiteOptions {
  /** Run even when the target lets anonymous clients do everything (--auth-tests). */
  force?: boolean;
}

export function makeAuthSuite(opts: AuthSuiteOptions = {}): Suite {
  return {
    workflow: 'auth',
    title: 'Authentication and authorization (Docker token auth, Basic)',
    async setup(ctx) {
      // Does the target require auth? /v2/ first, then a push, both anonymous.
      let res = await withAuth(ctx, 'GET', '/v2/');
      await res.dump();
      if (res.status !== 401) {
        res = await withAuth(ctx, 'POST', `/v2/${ctx.repo}/blobs/uploads/`);
        if (!(await closeSession(ctx, res))) await res.dump();
      }
      const challenges = res.status === 401 ? parseChallenges(res.header('www-authenticate')) : [];
      const b = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
      const basic = challenges.find((c) => c.scheme === 'basic');
      if (!b && !basic) {
        if (!opts.force) ctx.skip('unsupported', 'the target lets anonymous clients pull and push: it does not require auth (--auth-tests runs these cases anyway)');
        fail('an anonymous request refused with a Bearer or Basic challenge (--auth-tests)', `status ${res.status}${res.header('www-authenticate') ? `, WWW-Authenticate: ${res.header('www-authenticate')}` : ''}`, res);
      }
      const engine = ctx.client.auth instanceof AuthEngine ? ctx.client.auth : undefined;
      const c = engine?.credential;
      const creds = c?.username !== undefined && c.password !== undefined ? { username: c.username, password: c.password } : undefined;
      const http = new TokenEndpointClient({
        ...(ctx.client.options.insecure ? { insecure: true } : {}),
        ...(ctx.client.options.ca ? { ca: ctx.client.options.ca } : {}),
        timeoutMs: ctx.client.options.timeoutMs ?? 30_000,
      });
      const st: AuthState = {
        mode: b ? 'bearer' : 'basic',
        challenge: (b ?? basic)!,
        http,
        ...(creds ? { creds } : {}),
      };
      if (b) {
        st.realm = new URL(b.params.realm!, ctx.client.baseUrl);
        if (b.params.service !== undefined) st.service = b.params.service;
      }
      ctx.state.set(KEY, st);
      ctx.observe('scheme', st.mode);
      if (ctx.readOnly) {
        const e = ctx.existing;
        if (e) st.target = { repo: e.repo, path: `/v2/${e.repo}/manifests/${e.digest ?? e.tag}` };
      } else {
        try {
          const bytes = uniqueBytes(64);
          const up = await uploadBlobPostPut(ctx.client, ctx.repo, bytes);
          st.target = { repo: ctx.repo, path: blobPath(ctx.repo, up.digest) };
          st.blobDigest = up.digest;
          st.blobBytes = bytes;
          ctx.onCleanup(async () => {
            await tryDelete(ctx.client, blobPath(ctx.repo, up.digest));
          });
        } catch {
          // Without push rights the cases needing a blob skip, saying so.
        }
      }
    },
    cases,
    async teardown(ctx) {
      const st = ctx.state.get(KEY) as AuthState | undefined;
      await st?.http.close();
    },
  };
}

export const authSuite: Suite = makeAuthSuite();

/** The suites with the auth suite forced on (--auth-tests). */
export function withAuthTests(suites: readonly Suite[]): Suite[] {
  return suites.map((s) => (s.workflow === 'auth' ? makeAuthSuite({ force: true }) : s));
}
