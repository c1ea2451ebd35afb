// The built-in token service at /token (distribution-auth-token.md and -oauth.md): GET with optional
// Basic credentials, one `scope` per resource, `offline_token` for a refresh token; OAuth2 POST with
// grant_type=password or refresh_token. A client gets the intersection of what it asked for and what
// the access rules give it; asking for more than it may have is not an error (token.md).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LINGER_BYTES, lingerAfterAnswer } from '../http/context.js';
import type { AccessPolicy } from './access-rules.js';
import { readAuthorization } from './authorization-header.js';
import type { PasswordChecker } from './htpasswd.js';
import { issueToken, type AccessEntry } from './jwt.js';
import type { SigningKey } from './keys.js';

export interface TokenServiceOptions {
  key: SigningKey;
  issuer: string;
  /** The audience tokens are for (the registry's service name). */
  service: string;
  /** Other services this token service also issues for (e.g. a peer registry that trusts it). */
  extraServices?: string[];
  policy: AccessPolicy;
  checker?: PasswordChecker;
  /** Token lifetime, seconds (>= 60, default 300). */
  ttlSec?: number;
}

export const TOKEN_PATH = '/token';
const MAX_FORM = 64 * 1024;
const MAX_SCOPES = 64;
const MAX_REFRESH_TOKENS = 10_000;
const RESOURCE_TYPE = /^[a-z0-9]+(?:\([a-z0-9]+\))?$/;
const RESOURCE_NAME = /^[A-Za-z0-9._\-/:]{1,255}$/;
const ACTION = /^(?:[a-z]*|\*)$/;

/** One resource scope (scope.md grammar), or null: type up to the first `:`, actions after the last. */
export function parseResourceScope(s: string): AccessEntry | null {
  const first = s.indexOf(':');
  const last = s.lastIndexOf(':');
  if (first <= 0 || last <= first + 1) return null;
  const type = s.slice(0, first);
  const name = s.slice(first + 1, last);
  const actions = s.slice(last + 1).split(',').filter((a) => a.length > 0);
  if (!RESOURCE_TYPE.test(type) || !RESOURCE_NAME.test(name) || !actions.every((a) => ACTION.test(a))) return null;
  return { type: type.replace(/\(.*\)$/, ''), name, actions };
}

export class TokenService {
  private readonly refresh = new Map<string, { account: string; service: string }>();
  private readonly ttl: number;
  private readonly services: Set<string>;

  constructor(private readonly o: TokenServiceOptions) {
    this.ttl = Math.max(60, o.ttlSec ?? 300);
    this.services = new Set([o.service, ...(o.extraServices ?? [])]);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    if (method === 'GET') return this.get(req, res);
    if (method === 'POST') return this.post(req, res);
    res.setHeader('Allow', 'GET, POST');
    return send(res, 405, { errors: [{ code: 'UNSUPPORTED', message: `method ${method} is not allowed on ${TOKEN_PATH}` }] });
  }

  private async get(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const service = q.get('service') ?? this.o.service;
    if (!this.services.has(service)) return badRequest(res, `this token service issues tokens for ${[...this.services].map((s) => JSON.stringify(s)).join(', ')}, not ${JSON.stringify(service)}`);
    const who = await this.authenticate(req);
    if (who.status) return who.status === 429 ? busy(res) : unauthorized(res, who.message);
    const scopes = q.getAll('scope').flatMap((s) => s.split(' '));
    const { token, issuedAt } = await this.mint(who.account, service, scopes);
    // Both names (token.md: "both may also appear (for compatibility with older clients)").
    const body: Record<string, unknown> = { token, access_token: token, expires_in: this.ttl, issued_at: new Date(issuedAt * 1000).toISOString() };
    if (q.get('offline_token') === 'true' && who.account) body.refresh_token = this.newRefreshToken(who.account, service);
    return send(res, 200, body);
  }

  private async post(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (ct !== 'application/x-www-form-urlencoded') return oauthError(res, 400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
    let text: string;
    try {
      text = await readBody(req, MAX_FORM);
    } catch {
      // Not worth reading whole: answer, and read on only as long as needed for the client to see it.
      res.setHeader('Connection', 'close');
      lingerAfterAnswer(req, LINGER_BYTES);
      return oauthError(res, 413, 'invalid_request', `the form is larger than ${MAX_FORM} bytes`);
    }
    const f = new URLSearchParams(text);
    const service = f.get('service') ?? this.o.service;
    if (!this.services.has(service)) return oauthError(res, 400, 'invalid_request', `unknown service ${JSON.stringify(service)}`);
    const scopes = (f.get('scope') ?? '').split(' ').filter((s) => s.length > 0);
    const grant = f.get('grant_type');
    let account: string;
    let refreshToken: string | undefined;
    if (grant === 'password') {
      const username = f.get('username');
      const password = f.get('password');
      if (username === null || password === null) return oauthError(res, 400, 'invalid_request', 'grant_type=password needs username and password');
      const r = this.o.checker ? await this.o.checker.check(username, password) : 'bad';
      if (r === 'busy') return busy(res);
      if (r !== 'ok') return oauthError(res, 401, 'invalid_grant', 'username or password refused');
      account = username;
      if (f.get('access_type') === 'offline') refreshToken = this.newRefreshToken(account, service);
    } else if (grant === 'refresh_token') {
      const given = f.get('refresh_token') ?? '';
      const entry = this.refresh.get(given);
      // A refresh token is for one subject and one audience (scope.md "Refresh Tokens").
      if (!entry || entry.service !== service) return oauthError(res, 401, 'invalid_grant', 'refresh token unknown or for another service');
      account = entry.account;
      refreshToken = given;
    } else {
      return oauthError(res, 400, 'unsupported_grant_type', 'grant_type must be password or refresh_token');
    }
    const { token, issuedAt, access } = await this.mint(account, service, scopes);
    const body: Record<string, unknown> = {
      access_token: token,
      scope: access.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' '),
      expires_in: this.ttl,
      issued_at: new Date(issuedAt * 1000).toISOString(),
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    };
    return send(res, 200, body);
  }

  private async authenticate(req: IncomingMessage): Promise<{ account: string; status?: undefined } | { status: 401 | 429; message: string }> {
    const p = readAuthorization(req.headers.authorization);
    if (p.kind === 'none') return { account: '' };
    if (p.kind !== 'basic') return { status: 401, message: p.kind === 'malformed' ? p.reason : 'the token service takes Basic credentials' };
    const r = this.o.checker ? await this.o.checker.check(p.username, p.password) : 'bad';
    if (r === 'busy') return { status: 429, message: 'too many login attempts' };
    if (r !== 'ok') return { status: 401, message: 'username or password refused' };
    return { account: p.username };
  }

  private async mint(account: string, service: string, scopes: string[]): Promise<{ token: string; issuedAt: number; access: AccessEntry[] }> {
    const merged = new Map<string, AccessEntry>();
    for (const s of scopes.slice(0, MAX_SCOPES)) {
      const r = parseResourceScope(s);
      if (!r) continue; // an unreadable scope grants nothing
      const granted = this.o.policy.grant(account, r.type, r.name, r.actions);
      if (granted.length === 0) continue;
      const k = `${r.type}:${r.name}`;
      const cur = merged.get(k);
      merged.set(k, { type: r.type, name: r.name, actions: [...new Set([...(cur?.actions ?? []), ...granted])] });
    }
    const access = [...merged.values()];
    const { token, issuedAt } = await issueToken(this.o.key, { issuer: this.o.issuer, audience: service, subject: account, access, ttlSec: this.ttl });
    return { token, issuedAt, access };
  }

  private newRefreshToken(account: string, service: string): string {
    const t = randomBytes(32).toString('base64url');
    if (this.refresh.size >= MAX_REFRESH_TOKENS) this.refresh.delete(this.refresh.keys().next().value!);
    this.refresh.set(t, { account, service });
    return t;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}

function unauthorized(res: ServerResponse, message: string): void {
  res.setHeader('WWW-Authenticate', 'Basic realm="regprobe token service"');
  send(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: `authentication required: ${message}` }] });
}

function busy(res: ServerResponse): void {
  res.setHeader('Retry-After', '1');
  send(res, 429, { errors: [{ code: 'TOOMANYREQUESTS', message: 'too many login attempts at once; retry shortly' }] });
}

function badRequest(res: ServerResponse, message: string): void {
  send(res, 400, { errors: [{ code: 'UNSUPPORTED', message }] });
}

/** RFC 6749 5.2 error shape, plus the registry error list so either kind of client can read it. */
function oauthError(res: ServerResponse, status: number, error: string, description: string): void {
  const code = status === 401 ? 'UNAUTHORIZED' : 'UNSUPPORTED';
  send(res, status, { error, error_description: description, errors: [{ code, message: description }] });
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new Error('too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
