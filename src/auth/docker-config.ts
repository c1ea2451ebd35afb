// The user's docker config ($DOCKER_CONFIG/config.json or ~/.docker/config.json), read as docker
// does: `credHelpers` for this host, else an `auths` entry (`auth` = base64 user:password, or an
// `identitytoken` for the OAuth2 refresh grant), else the default `credsStore` helper.
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runCredentialHelper, type HelperOptions } from './credential-helper.js';
import { AuthError } from './errors.js';

export interface DockerAuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}

export interface DockerConfig {
  auths?: Record<string, DockerAuthEntry>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

export interface DockerCredential {
  username?: string;
  password?: string;
  identityToken?: string;
  /** Where it came from, for messages: `docker config auths`, `credential helper ecr-login`, ... */
  source: string;
}

/** Docker Hub's historical key in config.json and for credential helpers. */
export const DOCKER_HUB_KEY = 'https://index.docker.io/v1/';
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

export function dockerConfigFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker');
  return join(dir, 'config.json');
}

/** The config, or undefined when there is no file. A file that is not JSON is the user's to fix: one line. */
export async function loadDockerConfig(file: string): Promise<DockerConfig | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new AuthError('credential-source', `cannot read docker config ${file}: ${code ?? 'error'}`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new AuthError('credential-source', `docker config ${file} is not valid JSON`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new AuthError('credential-source', `docker config ${file} is not a JSON object`);
  return v as DockerConfig;
}

/** `https://host:5000/v2/` -> `host:5000` (docker's ConvertToHostname). */
export function hostOf(key: string): string {
  let s = key.trim();
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const slash = s.indexOf('/');
  if (slash >= 0) s = s.slice(0, slash);
  return s.toLowerCase();
}

/** The host[:port] a registry URL is known by in a docker config (Docker Hub's names collapse to one). */
export function registryHost(registryUrl: string | URL): string {
  const u = typeof registryUrl === 'string' ? new URL(registryUrl) : registryUrl;
  const h = u.host.toLowerCase();
  return DOCKER_HUB_HOSTS.has(h) ? 'index.docker.io' : h;
}

function sameHost(key: string, host: string): boolean {
  const k = hostOf(key);
  return k === host || (host === 'index.docker.io' && DOCKER_HUB_HOSTS.has(k));
}

/** Credentials for the registry from a loaded config; undefined when it has none for this host. */
export async function credentialFromDockerConfig(cfg: DockerConfig, registryUrl: string | URL, opts: HelperOptions = {}): Promise<DockerCredential | undefined> {
  const host = registryHost(registryUrl);
  const serverKey = host === 'index.docker.io' ? DOCKER_HUB_KEY : host;

  const helperEntry = Object.entries(cfg.credHelpers ?? {}).find(([k]) => sameHost(k, host));
  if (helperEntry && typeof helperEntry[1] === 'string' && helperEntry[1]) {
    const c = await runCredentialHelper(helperEntry[1], serverKey, opts);
    return c ? { ...c, source: `docker credential helper "${helperEntry[1]}" (credHelpers)` } : undefined;
  }

  const authEntry = Object.entries(cfg.auths ?? {}).find(([k]) => sameHost(k, host));
  if (authEntry) {
    const fromFile = decodeEntry(authEntry[0], authEntry[1]);
    if (fromFile) return { ...fromFile, source: `docker config auths["${authEntry[0]}"]` };
  }

  if (typeof cfg.credsStore === 'string' && cfg.credsStore) {
    const c = await runCredentialHelper(cfg.credsStore, authEntry ? authEntry[0] : serverKey, opts);
    return c ? { ...c, source: `docker credential store "${cfg.credsStore}" (credsStore)` } : undefined;
  }
  return undefined;
}

function decodeEntry(key: string, e: DockerAuthEntry | undefined): Omit<DockerCredential, 'source'> | undefined {
  if (!e || typeof e !== 'object') return undefined;
  let username = typeof e.username === 'string' && e.username ? e.username : undefined;
  let password = typeof e.password === 'string' && e.password ? e.password : undefined;
  if (typeof e.auth === 'string' && e.auth) {
    const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new AuthError('credential-source', `docker config auths["${key}"].auth is not base64 of user:password`);
    username = decoded.slice(0, colon);
    password = decoded.slice(colon + 1) || undefined;
  }
  const identityToken = typeof e.identitytoken === 'string' && e.identitytoken ? e.identitytoken : undefined;
  if (identityToken) return { ...(username ? { username } : {}), identityToken };
  if (username !== undefined && password !== undefined) return { username, password };
  return undefined;
}
