// The token protocol (distribution-auth-token.md, -oauth.md): GET with Basic credentials or
// anonymously; OAuth2 POST with grant_type=password or refresh_token, falling back to GET when the
// endpoint has no POST. Responses may carry `token` and/or `access_token`; `expires_in` defaults to 60 s.
import type { TokenEndpointClient, TokenHttpResponse } from '../client/token-endpoint.js';
import { registerSecret } from './redact.js';

export type TokenCredentials =
  | { kind: 'password'; username: string; password: string }
  | { kind: 'refresh-token'; username?: string; refreshToken: string; password?: string };

export interface TokenRequest {
  realm: URL;
  service?: string;
  /** Resource scopes; one `scope` query parameter each on GET, space-joined on POST. */
  scopes: readonly string[];
  credentials?: TokenCredentials;
  /** client_id (required by OAuth2 POST; sent on GET with offline_token). Default `regprobe`. */
  clientId?: string;
  /** Ask for a refresh token (offline_token=true / access_type=offline). */
  offline?: boolean;
  /** Force one method; default: POST when a refresh token is held or password creds are given, else GET. */
  method?: 'GET' | 'POST';
}

export interface TokenResult {
  token: string;
  /** Epoch ms when it stops being valid (issued_at or now, plus expires_in). */
  expiresAt: number;
  /** Lifetime the server gave (or the 60 s default), seconds. */
  expiresIn: number;
  /** Whether the server gave expires_in at all. */
  expiresInGiven: boolean;
  refreshToken?: string;
  /** The `scope` field of an OAuth2 answer, when present. */
  grantedScope?: string;
  method: 'GET' | 'POST';
  /** Both `token` and `access_token` present, and which. */
  fields: { token: boolean; accessToken: boolean };
}

export type TokenErrorKind = 'credentials-rejected' | 'forbidden' | 'bad-response' | 'http-status';

/** The token endpoint did not give a token; the message never holds a secret. */
export class TokenError extends Error {
  constructor(
    readonly kind: TokenErrorKind,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export const DEFAULT_EXPIRES_IN = 60;
/** POST statuses after which GET is tried (404 per the OAuth doc; 405/400/401 seen on GCR, ACR, Artifactory). */
const POST_FALLBACK = new Set([400, 401, 404, 405]);

export function basicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** Realms (origin + path) whose POST answered with a fallback status: GET directly next time. */
export class TokenClient {
  private readonly postUnsupported = new Set<string>();

  constructor(
    private readonly http: TokenEndpointClient,
    private readonly now: () => number = Date.now,
  ) {}

  async fetch(req: TokenRequest): Promise<TokenResult> {
    const creds = req.credentials;
    const realmKey = `${req.realm.origin}${req.realm.pathname}`;
    const wantPost = req.method ? req.method === 'POST' : creds !== undefined && !this.postUnsupported.has(realmKey);
    if (creds?.kind === 'refresh-token' && !wantPost && creds.password === undefined) {
      throw new TokenError('bad-response', 0, `the token endpoint ${req.realm.origin}${req.realm.pathname} has no OAuth2 POST; an identity token cannot be used with GET`);
    }
    if (wantPost && creds) {
      const res = await this.post(req, creds);
      if (!POST_FALLBACK.has(res.status) || req.method === 'POST') return this.result(res, 'POST', req);
      // 404/405: no POST here at all; 400/401 may be only this request's fault, so ask again next time.
      if (res.status === 404 || res.status === 405) this.postUnsupported.add(realmKey);
      if (creds.kind === 'refresh-token' && creds.password === undefined) return this.result(res, 'POST', req);
    }
    return this.result(await this.get(req), 'GET', req);
  }

  private async get(req: TokenRequest): Promise<TokenHttpResponse> {
    const url = new URL(req.realm);
    if (req.service) url.searchParams.set('service', req.service);
    for (const s of req.scopes) url.searchParams.append('scope', s);
    const creds = req.credentials;
    const password = creds?.kind === 'password' ? creds.password : creds?.password;
    const headers: Record<string, string> = {};
    if (creds && creds.username !== undefined && password !== undefined) {
      url.searchParams.set('account', creds.username);
      headers.authorization = basicHeader(creds.username, password);
    }
    if (req.offline) {
      url.searchParams.set('offline_token', 'true');
      url.searchParams.set('client_id', req.clientId ?? 'regprobe');
    }
    return this.http.send({ method: 'GET', url, headers });
  }

  private async post(req: TokenRequest, creds: TokenCredentials): Promise<TokenHttpResponse> {
    const form = new URLSearchParams();
    if (creds.kind === 'refresh-token') {
      form.set('grant_type', 'refresh_token');
      form.set('refresh_token', creds.refreshToken);
    } else {
      form.set('grant_type', 'password');
      form.set('username', creds.username);
      form.set('password', creds.password);
    }
    if (req.service) form.set('service', req.service);
    form.set('client_id', req.clientId ?? 'regprobe');
    if (req.offline) form.set('access_type', 'offline');
    if (req.scopes.length) form.set('scope', req.scopes.join(' '));
    return this.http.send({ method: 'POST', url: new URL(req.realm), form });
  }

  private result(res: TokenHttpResponse, method: 'GET' | 'POST', req: TokenRequest): TokenResult {
    const where = `${method} ${req.realm.origin}${req.realm.pathname}`;
    if (res.status === 401) throw new TokenError('credentials-rejected', 401, `${where} answered 401: ${req.credentials ? 'the credentials were refused' : 'an anonymous token is not given'}`);
    if (res.status === 403) throw new TokenError('forbidden', 403, `${where} answered 403: access refused`);
    if (res.status !== 200) throw new TokenError('http-status', res.status, `${where} answered ${res.status}${oauthError(res.body)}`);
    let v: unknown;
    try {
      v = JSON.parse(res.body);
    } catch {
      throw new TokenError('bad-response', 200, `${where}: the answer is not JSON`);
    }
    if (!v || typeof v !== 'object') throw new TokenError('bad-response', 200, `${where}: the answer is not a JSON object`);
    const o = v as Record<string, unknown>;
    const token = str(o.token) ?? str(o.access_token);
    if (!token) throw new TokenError('bad-response', 200, `${where}: the answer has neither "token" nor "access_token"`);
    registerSecret(token);
    const refresh = str(o.refresh_token);
    registerSecret(refresh);
    const given = typeof o.expires_in === 'number' ? o.expires_in : typeof o.expires_in === 'string' && /^\d+$/.test(o.expires_in) ? Number(o.expires_in) : undefined;
    const expiresIn = given !== undefined && given > 0 ? given : DEFAULT_EXPIRES_IN;
    const now = this.now();
    const issued = str(o.issued_at) ? Date.parse(str(o.issued_at)!) : NaN;
    // issued_at from a skewed clock must not make a fresh token look expired (or live forever).
    const base = Number.isFinite(issued) && Math.abs(now - issued) < expiresIn * 1000 ? Math.min(issued, now) : now;
    return {
      token,
      expiresAt: base + expiresIn * 1000,
      expiresIn,
      expiresInGiven: given !== undefined,
      ...(refresh ? { refreshToken: refresh } : {}),
      ...(typeof o.scope === 'string' ? { grantedScope: o.scope } : {}),
      method,
      fields: { token: typeof o.token === 'string', accessToken: typeof o.access_token === 'string' },
    };
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** `: invalid_grant (...)` from an OAuth2 or registry error body, for messages. */
function oauthError(body: string): string {
  try {
    const o = JSON.parse(body) as { error?: unknown; error_description?: unknown; errors?: Array<{ code?: unknown; message?: unknown }> };
    if (typeof o.error === 'string') return `: ${o.error}${typeof o.error_description === 'string' ? ` (${o.error_description.slice(0, 120)})` : ''}`;
    const e = o.errors?.[0];
    if (e && typeof e.code === 'string') return `: ${e.code}${typeof e.message === 'string' ? ` (${e.message.slice(0, 120)})` : ''}`;
  } catch {
    /* not JSON */
  }
  return '';
}
