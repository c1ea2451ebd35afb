// A tiny loopback registry + token endpoint that answers the way real registries do (recorded shapes
// of Docker Hub, GHCR, ECR, Harbor, ACR, Quay), for unit tests of the client's auth engine. It records
// every request, checks the Bearer tokens it issued (scopes, expiry on a clock the test controls) and
// implements just enough of the API (ping, manifest GET, upload POST/PATCH/PUT, blob GET).
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export type Vendor = 'dockerhub' | 'ghcr' | 'ecr' | 'harbor' | 'acr' | 'quay';

export interface Recorded {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization?: string;
  form?: URLSearchParams;
}

export interface FakeOptions {
  vendor: Vendor;
  /** Accepted user -> password (Basic on the token endpoint, password grant, Basic registries). */
  users?: Record<string, string>;
  /** Accepted identity (refresh) tokens -> account (ACR). */
  identityTokens?: Record<string, string>;
  /** Allow anonymous pulls (public repositories). */
  anonymousPull?: boolean;
  /** Lifetime of issued tokens, s; `null` omits expires_in (Quay). Default per vendor. */
  expiresIn?: number | null;
  /** Clock shared with the engine under test, ms. */
  now?: () => number;
  /** Registry over HTTPS with this cert (the token endpoint stays on a separate http server when `httpRealm`). */
  tls?: { cert: string; key: string };
  /** Serve the token endpoint on a second, plain-http server (https registry, http realm). */
  httpRealm?: boolean;
  /** Realm given as a path only (relative realm). */
  relativeRealm?: boolean;
  /** Also offer Basic in the registry's challenge, and accept Basic on the registry (Harbor). */
  offerBasic?: boolean;
  /** The token endpoint refuses every request with 401 (to test falling back to Basic). */
  tokenRefusesAll?: boolean;
  /** Extra actions the registry demands on GET manifests (to test insufficient_scope widening). */
  manifestNeeds?: string[];
}

interface Issued {
  account: string;
  scopes: Set<string>;
  expiresAt: number;
}

const PROFILES: Record<Vendor, { service: string; realmPath: string; post: 'oauth' | 404 | 405; fields: 'token' | 'access_token' | 'both'; expiresIn: number | null }> = {
  dockerhub: { service: 'registry.docker.io', realmPath: '/token', post: 'oauth', fields: 'both', expiresIn: 300 },
  ghcr: { service: 'ghcr.io', realmPath: '/token', post: 405, fields: 'token', expiresIn: null },
  ecr: { service: 'ecr.amazonaws.com', realmPath: '/', post: 404, fields: 'token', expiresIn: null },
  harbor: { service: 'harbor-registry', realmPath: '/service/token', post: 404, fields: 'both', expiresIn: 1800 },
  acr: { service: 'myreg.azurecr.io', realmPath: '/oauth2/token', post: 'oauth', fields: 'access_token', expiresIn: 3600 },
  quay: { service: 'quay.io', realmPath: '/v2/auth', post: 405, fields: 'token', expiresIn: null },
};

export class FakeAuthRegistry {
  readonly requests: Recorded[] = [];
  readonly tokens = new Map<string, Issued>();
  url = '';
  realm = '';
  private servers: Server[] = [];
  private readonly profile;
  private readonly now: () => number;
  readonly uploads = new Map<string, number>();

  constructor(readonly o: FakeOptions) {
    this.profile = PROFILES[o.vendor];
    this.now = o.now ?? Date.now;
  }

  get service(): string {
    return this.profile.service;
  }

  tokenRequests(): Recorded[] {
    return this.requests.filter((r) => r.path === this.profile.realmPath && this.o.vendor !== 'ecr');
  }

  async start(): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
    const main = this.o.tls ? createHttps({ cert: this.o.tls.cert, key: this.o.tls.key }, handler) : createHttp(handler);
    await listen(main);
    this.servers.push(main);
    const scheme = this.o.tls ? 'https' : 'http';
    this.url = `${scheme}://127.0.0.1:${(main.address() as AddressInfo).port}`;
    if (this.o.httpRealm) {
      const side = createHttp(handler);
      await listen(side);
      this.servers.push(side);
      this.realm = `http://127.0.0.1:${(side.address() as AddressInfo).port}${this.profile.realmPath}`;
    } else {
      this.realm = this.o.relativeRealm ? this.profile.realmPath : `${this.url}${this.profile.realmPath}`;
    }
    return this;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((r) => { s.closeAllConnections(); s.close(() => r()); })));
  }

  private challenge(scope?: string, error?: string): string {
    if (this.o.vendor === 'ecr') return `Basic realm="${this.url}/",service="ecr.amazonaws.com"`;
    const parts = [`realm="${this.realm}"`, `service="${this.profile.service}"`];
    if (scope) parts.push(`scope="${scope}"`);
    if (error) parts.push(`error="${error}"`);
    return `Bearer ${parts.join(',')}${this.o.offerBasic ? ', Basic realm="harbor"' : ''}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const u = new URL(req.url ?? '/', 'http://x');
    const rec: Recorded = { method: req.method ?? 'GET', path: u.pathname, query: u.searchParams, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) };
    const body = await readAll(req);
    if (req.method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) rec.form = new URLSearchParams(body);
    this.requests.push(rec);
    if (this.o.vendor !== 'ecr' && u.pathname === this.profile.realmPath) return this.token(req, res, rec);
    return this.registry(req, res, u);
  }

  private basicUser(authorization: string | undefined): string | undefined | null {
    const m = /^Basic (.+)$/.exec(authorization ?? '');
    if (!m) return undefined;
    const d = Buffer.from(m[1]!, 'base64').toString('utf8');
    const i = d.indexOf(':');
    const user = d.slice(0, i);
    return this.o.users?.[user] !== undefined && this.o.users[user] === d.slice(i + 1) ? user : null;
  }

  private token(req: IncomingMessage, res: ServerResponse, rec: Recorded): void {
    let account = '';
    let scopes: string[];
    if (this.o.tokenRefusesAll) return json(res, 401, { errors: [{ code: 'UNAUTHORIZED' }] });
    if (req.method === 'POST') {
      if (this.profile.post !== 'oauth') return json(res, this.profile.post, { errors: [{ code: 'UNSUPPORTED' }] });
      const f = rec.form ?? new URLSearchParams();
      if (f.get('grant_type') === 'password') {
        const u = f.get('username') ?? '';
        if (this.o.users?.[u] === undefined || this.o.users[u] !== f.get('password')) return json(res, 401, { error: 'invalid_grant' });
        account = u;
      } else if (f.get('grant_type') === 'refresh_token') {
        const a = this.o.identityTokens?.[f.get('refresh_token') ?? ''];
        if (a === undefined) return json(res, 401, { error: 'invalid_grant' });
        account = a;
      } else return json(res, 400, { error: 'unsupported_grant_type' });
      scopes = (f.get('scope') ?? '').split(' ').filter(Boolean);
    } else {
      const who = this.basicUser(rec.authorization);
      if (who === null) return json(res, 401, { details: 'incorrect username or password' });
      if (who === undefined && rec.authorization) return json(res, 401, { details: 'unsupported auth' });
      account = who ?? '';
      scopes = rec.query.getAll('scope');
    }
    const granted = new Set<string>();
    for (const s of scopes) {
      const [type, ...rest] = s.split(':');
      const actions = rest.pop()!.split(',');
      for (const a of actions) if (account || (this.o.anonymousPull && a === 'pull')) granted.add(`${type}:${rest.join(':')}:${a}`);
    }
    const t = randomBytes(12).toString('hex');
    const life = this.o.expiresIn !== undefined ? this.o.expiresIn : this.profile.expiresIn;
    this.tokens.set(t, { account, scopes: granted, expiresAt: this.now() + (life ?? 60) * 1000 });
    const out: Record<string, unknown> = {};
    if (this.profile.fields !== 'access_token') out.token = t;
    if (this.profile.fields !== 'token' || req.method === 'POST') out.access_token = t;
    if (life !== null) out.expires_in = life;
    if (req.method === 'POST') out.scope = [...granted].join(' ');
    json(res, 200, out);
  }

  private registry(req: IncomingMessage, res: ServerResponse, u: URL): void {
    const m = /^\/v2\/(.+?)\/(manifests|blobs)\/(.+)$/.exec(u.pathname);
    const repo = m?.[1];
    const method = req.method ?? 'GET';
    const needs: string[] = !repo ? [] : method === 'GET' || method === 'HEAD' ? ['pull', ...(m?.[2] === 'manifests' ? (this.o.manifestNeeds ?? []) : [])] : ['pull', 'push'];
    const scope = repo ? `repository:${repo}:${needs.join(',')}` : undefined;
    const auth = req.headers.authorization ?? '';
    let ok = false;
    let error: string | undefined;
    if ((this.o.vendor === 'ecr' || this.o.offerBasic) && auth.startsWith('Basic ')) ok = this.basicUser(auth) !== null && this.basicUser(auth) !== undefined;
    else if (this.o.vendor !== 'ecr' && auth.startsWith('Bearer ')) {
      const t = this.tokens.get(auth.slice(7));
      if (!t || t.expiresAt <= this.now()) error = 'invalid_token';
      else if (repo && !needs.every((a) => t.scopes.has(`repository:${repo}:${a}`))) error = 'insufficient_scope';
      else ok = true;
    }
    if (!ok) {
      res.setHeader('WWW-Authenticate', this.challenge(scope, error));
      return json(res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] });
    }
    if (!m) return json(res, 200, {});
    if (m[2] === 'blobs' && m[3] === 'uploads/' && method === 'POST') {
      const id = randomBytes(6).toString('hex');
      this.uploads.set(id, 0);
      res.setHeader('Location', `/v2/${repo}/blobs/uploads/${id}`);
      res.statusCode = 202;
      return void res.end();
    }
    const up = /^uploads\/(.+)$/.exec(m[3]!);
    if (m[2] === 'blobs' && up && this.uploads.has(up[1]!)) {
      if (method === 'PATCH') {
        res.setHeader('Location', `/v2/${repo}/blobs/uploads/${up[1]}`);
        res.statusCode = 202;
        return void res.end();
      }
      if (method === 'PUT') {
        res.statusCode = 201;
        res.setHeader('Location', `/v2/${repo}/blobs/${u.searchParams.get('digest')}`);
        return void res.end();
      }
    }
    json(res, 200, { schemaVersion: 2 });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(text);
}

function listen(s: Server): Promise<void> {
  return new Promise((r) => s.listen(0, '127.0.0.1', () => r()));
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
