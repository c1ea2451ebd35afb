// The reference registry's auth modes behind the RequestAuthorizer seam:
//   none      every request allowed;
//   htpasswd  Basic credentials checked against bcrypt hashes (`Basic realm=...` challenge), as
//             distribution's htpasswd auth; with access rules, what each account may do;
//   token     Bearer JWTs from the built-in token service at /token (or any issuer using our key),
//             checked for signature, issuer, audience, time and scope, as distribution's token auth.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestOrigin } from '../http/public-url.js';
import { AccessPolicy, loadAccessRules, type AccessRule } from './access-rules.js';
import { readAuthorization } from './authorization-header.js';
import { loadHtpasswd, PasswordChecker, type CheckerOptions } from './htpasswd.js';
import { verifyToken, type AccessEntry } from './jwt.js';
import { loadOrCreateSigningKey, type SigningAlgorithm, type SigningKey } from './keys.js';
import { TOKEN_PATH, TokenService } from './token-service.js';
import type { Access, AuthDecision, RequestAuthorizer } from './types.js';

export type AuthMode = 'none' | 'htpasswd' | 'token';

export interface AuthorizerOptions {
  mode: AuthMode;
  /** Users (both modes): an htpasswd file of bcrypt hashes ... */
  htpasswdFile?: string;
  /** ... or the parsed map user -> bcrypt hash. */
  users?: Map<string, string>;
  /** Access rules: a JSON file ... */
  accessFile?: string;
  /** ... or parsed rules. Absent: authenticated accounts may do everything, anonymous nothing. */
  rules?: AccessRule[];
  /** htpasswd mode: the realm of the Basic challenge (default "regprobe"). */
  basicRealm?: string;
  /** token mode: PEM private key and certificate; generated into keyDir when absent. */
  tokenKeyFile?: string;
  tokenCertFile?: string;
  keyDir?: string;
  algorithm?: SigningAlgorithm;
  /** token mode: JWT issuer (default "regprobe-token-service"). */
  issuer?: string;
  /** token mode: service name = token audience (default "regprobe-registry"). */
  service?: string;
  /** token mode: more audiences the token service issues for (peer registries trusting it). */
  extraServices?: string[];
  /** token mode: realm URL in challenges; default derived from the request (`http://<Host>/token`). */
  realm?: string;
  tokenTtlSec?: number;
  /** Clock leeway on exp/nbf/iat, seconds (default 30). */
  leewaySec?: number;
  checker?: CheckerOptions;
}

export interface ReferenceAuthorizer extends RequestAuthorizer {
  readonly mode: AuthMode;
  /** token mode: the key tokens are signed with (its cert file is a peer's rootcertbundle). */
  readonly signingKey?: SigningKey;
  readonly issuer?: string;
  readonly service?: string;
  readonly checker?: PasswordChecker;
  close(): Promise<void>;
}

/** A configuration problem (bad file, missing users): one line for the user. */
export class AuthConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthConfigError';
  }
}

export async function createAuthorizer(o: AuthorizerOptions): Promise<ReferenceAuthorizer> {
  if (o.mode === 'none') {
    return { mode: 'none', authorize: async () => ({ ok: true }), close: async () => undefined };
  }
  const users = o.users ?? (o.htpasswdFile ? await loadHtpasswd(o.htpasswdFile) : undefined);
  if (o.mode === 'htpasswd' && (!users || users.size === 0)) throw new AuthConfigError('--auth htpasswd needs --htpasswd FILE with at least one user (htpasswd -B)');
  const rules = o.rules ?? (o.accessFile ? await loadAccessRules(o.accessFile) : undefined);
  const policy = new AccessPolicy(rules);
  const checker = users ? new PasswordChecker(users, o.checker) : undefined;
  if (o.mode === 'htpasswd') return htpasswdAuthorizer(checker!, policy, o.basicRealm ?? 'regprobe');
  if (o.mode === 'token') return tokenAuthorizer(o, policy, checker);
  throw new AuthConfigError(`unknown auth mode ${String(o.mode)} (none, htpasswd or token)`);
}

function htpasswdAuthorizer(checker: PasswordChecker, policy: AccessPolicy, realm: string): ReferenceAuthorizer {
  const challenge = `Basic realm="${quote(realm)}"`;
  const unauthorized = (message: string): AuthDecision => ({ ok: false, status: 401, code: 'UNAUTHORIZED', message, challenge });
  return {
    mode: 'htpasswd',
    checker,
    async authorize(req, access) {
      const p = readAuthorization(req.headers.authorization);
      if (p.kind === 'none') {
        // Anonymous: only what rules give to "*" (never /v2/ itself, as distribution).
        if (access.length > 0 && policy.rules && covers(access, (a) => policy.allowed('', a.type, a.name))) return { ok: true };
        return unauthorized('authentication required');
      }
      if (p.kind !== 'basic') return unauthorized(p.kind === 'malformed' ? `authentication required: ${p.reason}` : 'authentication required: use Basic credentials');
      const r = await checker.check(p.username, p.password);
      if (r === 'busy') return unauthorized('too many login attempts at once; retry shortly');
      if (r !== 'ok') return unauthorized('authentication required: username or password refused');
      if (!covers(access, (a) => policy.allowed(p.username, a.type, a.name))) {
        return { ok: false, status: 403, code: 'DENIED', message: `requested access to the resource is denied for ${p.username}` };
      }
      return { ok: true, account: p.username };
    },
    close: () => checker.close(),
  };
}

async function tokenAuthorizer(o: AuthorizerOptions, policy: AccessPolicy, checker: PasswordChecker | undefined): Promise<ReferenceAuthorizer> {
  const key = await loadOrCreateSigningKey({
    ...(o.tokenKeyFile ? { keyFile: o.tokenKeyFile } : {}),
    ...(o.tokenCertFile ? { certFile: o.tokenCertFile } : {}),
    ...(o.keyDir ? { dir: o.keyDir } : {}),
    ...(o.algorithm ? { algorithm: o.algorithm } : {}),
  });
  const issuer = o.issuer ?? 'regprobe-token-service';
  const service = o.service ?? 'regprobe-registry';
  const tokens = new TokenService({
    key,
    issuer,
    service,
    ...(o.extraServices ? { extraServices: o.extraServices } : {}),
    policy,
    ...(checker ? { checker } : {}),
    ...(o.tokenTtlSec ? { ttlSec: o.tokenTtlSec } : {}),
  });

  const challenge = (req: IncomingMessage, access: Access[], error?: 'invalid_token' | 'insufficient_scope'): string => {
    const parts = [`realm="${quote(o.realm ?? realmFromRequest(req))}"`, `service="${quote(service)}"`];
    if (access.length > 0) parts.push(`scope="${quote(access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' '))}"`);
    if (error) parts.push(`error="${error}"`);
    return `Bearer ${parts.join(',')}`;
  };
  const unauthorized = (req: IncomingMessage, access: Access[], message: string, error?: 'invalid_token' | 'insufficient_scope'): AuthDecision => ({
    ok: false,
    status: 401,
    code: 'UNAUTHORIZED',
    message,
    challenge: challenge(req, access, error),
  });

  return {
    mode: 'token',
    signingKey: key,
    issuer,
    service,
    ...(checker ? { checker } : {}),
    async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== TOKEN_PATH) return false;
      await tokens.handle(req, res);
      return true;
    },
    async authorize(req, access) {
      const p = readAuthorization(req.headers.authorization);
      if (p.kind === 'none') return unauthorized(req, access, 'authentication required');
      if (p.kind === 'malformed') return unauthorized(req, access, `authentication required: ${p.reason}`, 'invalid_token');
      if (p.kind !== 'bearer') return unauthorized(req, access, 'authentication required: this registry takes Bearer tokens from its token service');
      const v = await verifyToken(p.token, key, { issuer, audience: service, ...(o.leewaySec !== undefined ? { leewaySec: o.leewaySec } : {}) });
      if (!v.ok) return unauthorized(req, access, `authentication required: ${v.reason}`, 'invalid_token');
      if (!covers(access, (a) => grantedBy(v.access, a))) return unauthorized(req, access, 'authentication required: the token does not grant this access', 'insufficient_scope');
      return { ok: true, account: v.subject };
    },
    close: async () => {
      await checker?.close();
    },
  };
}

/** True when every needed action of every access is allowed. */
function covers(access: Access[], allowed: (a: Access) => Set<string>): boolean {
  return access.every((a) => {
    const have = allowed(a);
    return have.has('*') || a.actions.every((x) => have.has(x));
  });
}

function grantedBy(entries: AccessEntry[], a: Access): Set<string> {
  const out = new Set<string>();
  for (const e of entries) if (e.type.replace(/\(.*\)$/, '') === a.type && e.name === a.name) for (const x of e.actions) out.add(x);
  return out;
}

/** The realm as this client reached us: the public URL, else a plain Host header, else the local address. */
function realmFromRequest(req: IncomingMessage): string {
  return `${requestOrigin(req)}${TOKEN_PATH}`;
}

function quote(s: string): string {
  return s.replace(/["\\]/g, (c) => `\\${c}`);
}
