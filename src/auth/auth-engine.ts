// The client's auth engine (an AuthProvider for RegistryClient): answers what the registry asks for.
// Basic: the credentials, once a Basic challenge was seen. Bearer: a token from the challenge's realm,
// cached per scope set and refreshed before it expires; an insufficient_scope challenge widens the
// scope once. Credentials go only to the registry and to the realm it named, never to an http: realm
// of an https: registry (the token is then asked for anonymously).
import type { AuthProvider } from '../client/auth-provider.js';
import { TokenEndpointClient, type TokenEndpointOptions } from '../client/token-endpoint.js';
import { TransportError } from '../client/errors.js';
import { challengeScopes, parseChallenges, type Challenge } from './challenge.js';
import type { Credential } from './credentials.js';
import { AuthError } from './errors.js';
import { mergeScopes, scopeKey } from './scope.js';
import { needsRefresh, TokenCache, type CachedToken } from './token-cache.js';
import { basicHeader, TokenClient, TokenError, type TokenCredentials } from './token-client.js';

export interface AuthEngineOptions {
  credential?: Credential;
  /** TLS and timeout settings for the token endpoint (same as the registry client's). */
  http?: TokenEndpointOptions;
  clientId?: string;
  /** Clock (tests). */
  now?: () => number;
}

interface OriginState {
  scheme?: 'basic' | 'bearer';
  realm?: URL;
  service?: string;
  /** Scope keys already widened after insufficient_scope. */
  widened: Set<string>;
  /** Credentials withheld from this origin's realm (http: realm of an https: registry). */
  withheld: boolean;
}

/** A token obtained this recently is assumed to postdate a 401 that arrives now (concurrent requests). */
const FRESH_MS = 1000;

export class AuthEngine implements AuthProvider {
  private cred?: Credential;
  /** Things a user should know (e.g. credentials withheld); shown by the CLI, never secrets. */
  readonly notes: string[] = [];
  private readonly http: TokenEndpointClient;
  private readonly tokens: TokenClient;
  private readonly cache = new TokenCache();
  private readonly states = new Map<string, OriginState>();
  private readonly inflight = new Map<string, Promise<CachedToken>>();
  private readonly now: () => number;
  private readonly clientId: string;
  /** Counters for reports and tests. */
  readonly stats = { tokenFetches: 0, refreshes: 0, widenings: 0 };

  constructor(options: AuthEngineOptions = {}) {
    this.cred = options.credential;
    this.now = options.now ?? Date.now;
    this.http = new TokenEndpointClient(options.http ?? {});
    this.tokens = new TokenClient(this.http, this.now);
    this.clientId = options.clientId ?? 'regprobe';
  }

  get credential(): Credential | undefined {
    return this.cred;
  }

  /** Sets the credentials once they are known (the docker config is read when the registry is). */
  useCredential(c: Credential | undefined): void {
    this.cred = c;
  }

  /** The scheme the registry at this origin asked for, once a challenge was seen. */
  schemeFor(origin: string): 'basic' | 'bearer' | undefined {
    return this.states.get(origin)?.scheme;
  }

  /** The realm and service of this origin's Bearer challenge, once seen. */
  bearerInfo(origin: string): { realm: URL; service?: string } | undefined {
    const st = this.states.get(origin);
    return st?.realm ? { realm: st.realm, ...(st.service !== undefined ? { service: st.service } : {}) } : undefined;
  }

  async authorization(scopes: string[], url: URL): Promise<string | undefined> {
    const st = this.states.get(url.origin);
    if (!st?.scheme) return undefined;
    if (st.scheme === 'basic') return this.basic();
    const key = scopeKey(scopes);
    const now = this.now();
    const cached = this.cache.lookup(url.origin, key, scopes, now);
    if (cached && !needsRefresh(cached, now)) return `Bearer ${cached.token}`;
    try {
      if (cached) this.stats.refreshes++;
      const t = await this.obtain(url.origin, st, key, cached ? cached.scopes : mergeScopes(scopes));
      return `Bearer ${t.token}`;
    } catch (err) {
      // A refresh that fails while the old token still lives: keep using it.
      if (cached && cached.expiresAt > this.now()) return `Bearer ${cached.token}`;
      throw err;
    }
  }

  async handleChallenge(header: string, scopes: string[], url: URL): Promise<boolean> {
    const challenges = parseChallenges(header);
    const bearer = challenges.find((c) => c.scheme === 'bearer' && c.params.realm);
    const basic = challenges.find((c) => c.scheme === 'basic');
    const st = this.state(url.origin);
    if (bearer) return this.onBearer(bearer, basic, st, scopes, url);
    if (basic) {
      if (!this.basic()) return false;
      st.scheme = 'basic';
      return true;
    }
    return false;
  }

  private async onBearer(bearer: Challenge, basic: Challenge | undefined, st: OriginState, scopes: string[], url: URL): Promise<boolean> {
    const realm = resolveRealm(bearer.params.realm!, url);
    st.scheme = 'bearer';
    st.realm = realm;
    st.service = bearer.params.service;
    st.withheld = url.protocol === 'https:' && realm.protocol === 'http:';
    if (st.withheld && this.credential && !this.notes.some((n) => n.includes(realm.origin))) {
      this.notes.push(`credentials withheld from the http: token realm ${realm.origin} of an https: registry; tokens are asked for anonymously`);
    }
    const key = scopeKey(scopes);
    const wanted = mergeScopes(scopes, challengeScopes(bearer));
    if (bearer.params.error === 'insufficient_scope') {
      if (st.widened.has(key)) return false;
      st.widened.add(key);
      this.stats.widenings++;
    }
    const pending = bearer.params.error === 'insufficient_scope' ? undefined : this.inflight.get(`${url.origin} ${key}`);
    if (pending) {
      await pending.catch(() => undefined);
      return true;
    }
    const cached = this.cache.get(url.origin, key);
    if (cached && this.now() - cached.obtainedAt < FRESH_MS && bearer.params.error !== 'insufficient_scope') return true;
    this.cache.delete(url.origin, key);
    try {
      await this.obtain(url.origin, st, key, wanted, bearer.params.error === 'insufficient_scope' ? ' widen' : '');
      return true;
    } catch (err) {
      // Harbor and others offer Basic beside Bearer: use it when the token service refuses us.
      if (err instanceof AuthError && err.kind === 'credentials-rejected' && basic && this.basic()) {
        st.scheme = 'basic';
        return true;
      }
      throw err;
    }
  }

  /** A token for `scopes` under `key`, fetched once however many requests ask at the same time. */
  private obtain(origin: string, st: OriginState, key: string, scopes: string[], flight = ''): Promise<CachedToken> {
    const k = `${origin} ${key}${flight}`;
    const pending = this.inflight.get(k);
    if (pending) return pending;
    const p = this.fetchToken(st, scopes)
      .then((t) => {
        this.cache.set(origin, key, t);
        return t;
      })
      .finally(() => this.inflight.delete(k));
    this.inflight.set(k, p);
    return p;
  }

  private async fetchToken(st: OriginState, scopes: string[]): Promise<CachedToken> {
    const realm = st.realm!;
    const creds = st.withheld ? undefined : this.tokenCredentials();
    this.stats.tokenFetches++;
    const started = this.now();
    try {
      const r = await this.tokens.fetch({
        realm,
        ...(st.service !== undefined ? { service: st.service } : {}),
        scopes,
        ...(creds ? { credentials: creds } : {}),
        clientId: this.clientId,
      });
      return { token: r.token, scopes, obtainedAt: started, expiresAt: r.expiresAt };
    } catch (err) {
      throw this.explain(err, realm, st);
    }
  }

  private explain(err: unknown, realm: URL, st: OriginState): unknown {
    const where = `${realm.origin}${realm.pathname}`;
    const from = this.credential ? ` (credentials from ${this.credential.source})` : '';
    if (err instanceof TokenError) {
      if (err.kind === 'credentials-rejected') {
        const hint = st.withheld
          ? `; credentials were withheld because the realm is http: while the registry is https:`
          : this.credential
            ? ': check the username and password'
            : ': the registry needs credentials (--username/--password, REGPROBE_USERNAME/REGPROBE_PASSWORD or docker login)';
        return new AuthError('credentials-rejected', `token service ${where} refused the request${from}${hint}`, { cause: err });
      }
      return new AuthError('token-endpoint', `token service ${where}: ${err.message}${from}`, { cause: err });
    }
    if (err instanceof TransportError) return new AuthError('token-endpoint', `token service unreachable: ${err.message}`, { cause: err });
    return err;
  }

  private tokenCredentials(): TokenCredentials | undefined {
    const c = this.credential;
    if (!c) return undefined;
    if (c.identityToken) {
      return { kind: 'refresh-token', refreshToken: c.identityToken, ...(c.username !== undefined ? { username: c.username } : {}), ...(c.password !== undefined ? { password: c.password } : {}) };
    }
    if (c.username !== undefined && c.password !== undefined) return { kind: 'password', username: c.username, password: c.password };
    return undefined;
  }

  private basic(): string | undefined {
    const c = this.credential;
    return c?.username !== undefined && c.password !== undefined ? basicHeader(c.username, c.password) : undefined;
  }

  private state(origin: string): OriginState {
    let st = this.states.get(origin);
    if (!st) {
      st = { widened: new Set(), withheld: false };
      this.states.set(origin, st);
    }
    return st;
  }

  async close(): Promise<void> {
    await this.http.close();
  }
}

/** The realm as an absolute http(s) URL (relative realms resolve against the registry). */
function resolveRealm(realm: string, registry: URL): URL {
  let u: URL;
  try {
    u = new URL(realm, registry);
  } catch {
    throw new AuthError('bad-challenge', `the registry's Bearer challenge names a realm that is not a URL: ${JSON.stringify(realm.slice(0, 100))}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new AuthError('bad-challenge', `the registry's Bearer challenge names a non-HTTP realm (${u.protocol})`);
  }
  u.username = '';
  u.password = '';
  return u;
}
