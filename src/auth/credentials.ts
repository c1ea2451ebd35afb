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

/** The credentials for this registry, or undefined for anonymous access. */
export async function resolveCredentials(opts: CredentialOptions): Promise<Credential | undefined> {
  const env = opts.env ?? process.env;
  const fromFlags = pair(opts.username, opts.password, '--username', '--password', 'command line');
  if (fromFlags) return remember(fromFlags);
  const fromEnv = pair(env.REGPROBE_USERNAME, env.REGPROBE_PASSWORD, 'REGPROBE_USERNAME', 'REGPROBE_PASSWORD', 'REGPROBE_USERNAME/REGPROBE_PASSWORD');
  if (fromEnv) return remember(fromEnv);
  if (opts.dockerConfig === false) return undefined;
  const file = dockerConfigFile(env);
  const cfg = await loadDockerConfig(file);
  if (!cfg) return undefined;
  const c = await credentialFromDockerConfig(cfg, opts.registryUrl, { env, ...(opts.helperTimeoutMs ? { timeoutMs: opts.helperTimeoutMs } : {}) });
  return c ? remember({ ...c, source: `${c.source} in ${file}` }) : undefined;
}

function pair(user: string | undefined, pass: string | undefined, userName: string, passName: string, source: string): Credential | undefined {
  const u = user === '' ? undefined : user;
  const p = pass === '' ? undefined : pass;
  if (u === undefined && p === undefined) return undefined;
  if (u === undefined) throw new AuthError('credential-source', `${passName} is set but ${userName} is not`);
  if (p === undefined) throw new AuthError('credential-source', `${userName} is set but ${passName} is not`);
  return { username: u, password: p, source: source };
}

function remember(c: Credential): Credential {
  registerSecret(c.password, c.username);
  registerSecret(c.identityToken);
  return c;
}
