// The credential chain, first match wins: --username/--password, REGPROBE_USERNAME/REGPROBE_PASSWORD,
// then the user's docker config (credHelpers, auths, credsStore). Every secret found is registered
// for redaction before anything else can print it.
import { credentialFromDockerConfig, dockerConfigFile, loadDockerConfig } from './docker-config.js';
import { AuthError } from './errors.js';
import { registerSecret } from './redact.js';

export interface Credential {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker's `identitytoken`): used with grant_type=refresh_token. */
  identityToken?: string;
  /** Where it came from, for messages (never the secret). */
  source: string;
}

export interface CredentialOptions {
  registryUrl: string | URL;
  username?: string;
  password?: string;
  env?: NodeJS.ProcessEnv;
  /** Consult the docker config (default true). */
  dockerConfig?: boolean;
  helperTimeoutMs?: number;
}

/**
 * Credentials from the command line and the environment (flags win, each half on its own; an empty
 * variable counts as unset, an empty --password is a password). Throws AuthError for half a pair.
 */
export function credentialFromFlagsOrEnv(opts: { username?: string; password?: string; env?: NodeJS.ProcessEnv }): Credential | undefined {
  const env = opts.env ?? process.env;
  const username = opts.username ?? (env.REGPROBE_USERNAME || undefined);
  const password = opts.password ?? (env.REGPROBE_PASSWORD || undefined);
  if (username === undefined && password === undefined) return undefined;
  if (!username) throw new AuthError('credential-source', 'a password was given without a user name: add --username (or REGPROBE_USERNAME)');
  if (password === undefined) throw new AuthError('credential-source', `no password for user ${username}: add --password or set REGPROBE_PASSWORD`);
  const source = opts.username !== undefined ? (opts.password !== undefined ? 'command line' : 'command line and REGPROBE_PASSWORD') : opts.password !== undefined ? 'REGPROBE_USERNAME and command line' : 'REGPROBE_USERNAME/REGPROBE_PASSWORD';
  return remember({ username, password, source });
}

/** Credentials for the registry from the user's docker config (credHelpers, auths, credsStore). */
export async function credentialFromDocker(registryUrl: string | URL, opts: { env?: NodeJS.ProcessEnv; helperTimeoutMs?: number } = {}): Promise<Credential | undefined> {
  const env = opts.env ?? process.env;
  const file = dockerConfigFile(env);
  const cfg = await loadDockerConfig(file);
  if (!cfg) return undefined;
  const c = await credentialFromDockerConfig(cfg, registryUrl, { env, ...(opts.helperTimeoutMs ? { timeoutMs: opts.helperTimeoutMs } : {}) });
  return c ? remember({ ...c, source: `${c.source} in ${file}` }) : undefined;
}

/** The whole chain for this registry, or undefined for anonymous access. */
export async function resolveCredentials(opts: CredentialOptions): Promise<Credential | undefined> {
  const direct = credentialFromFlagsOrEnv(opts);
  if (direct) return direct;
  if (opts.dockerConfig === false) return undefined;
  return credentialFromDocker(opts.registryUrl, { ...(opts.env ? { env: opts.env } : {}), ...(opts.helperTimeoutMs ? { helperTimeoutMs: opts.helperTimeoutMs } : {}) });
}

function remember(c: Credential): Credential {
  registerSecret(c.password, c.username);
  registerSecret(c.identityToken);
  return c;
}
