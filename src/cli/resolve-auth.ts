// Credentials and the auth engine for a command. Flags and REGPROBE_* variables are read at once
// (mistakes are usage errors); the docker config and its credential helpers are consulted in
// prepare(), once the registry URL is known, and remembered for the rest of the process (a benchmark
// makes a fresh engine per simulated client; the helper runs once).
import { readFileSync } from 'node:fs';
import { AuthEngine } from '../auth/auth-engine.js';
import { credentialFromDocker, credentialFromFlagsOrEnv, type Credential } from '../auth/credentials.js';
import { AuthError } from '../auth/errors.js';
import { redact } from '../auth/redact.js';
import type { AuthProvider } from '../client/auth-provider.js';
import { CliError } from './exit.js';

export interface AuthArgs {
  /** The registry URL when the command has one (finds docker-config credentials looked up earlier). */
  url?: string;
  username?: string;
  password?: string;
  /** TLS settings of the command, used for the token endpoint too. */
  insecure?: boolean;
  caFile?: string;
  /** Seconds per request. */
  timeout?: number;
}

export interface ResolvedAuth {
  provider?: AuthProvider;
  /** Whether credentials are known (a 401 then means they were refused). */
  hasCredentials: boolean;
  /** Completes the chain for this registry (docker config, credential helpers); returns hasCredentials. */
  prepare?(registryUrl: string): Promise<boolean>;
  /** Releases the token endpoint's connections. */
  close?(): Promise<void>;
}

/** Docker-config credentials found per registry origin (undefined: looked, found none). */
const fromDocker = new Map<string, Credential | undefined>();

export function resolveAuth(argv: AuthArgs, env: NodeJS.ProcessEnv = process.env): ResolvedAuth {
  let direct: Credential | undefined;
  try {
    direct = credentialFromFlagsOrEnv({ ...(argv.username !== undefined ? { username: argv.username } : {}), ...(argv.password !== undefined ? { password: argv.password } : {}), env });
  } catch (err) {
    if (err instanceof AuthError) throw new CliError(err.message);
    throw err;
  }
  const known = direct ?? (argv.url !== undefined ? fromDocker.get(originOf(argv.url)) : undefined);
  const engine = new AuthEngine({
    ...(known ? { credential: known } : {}),
    http: {
      ...(argv.insecure ? { insecure: true } : {}),
      ...(argv.caFile !== undefined ? { ca: readCa(argv.caFile) } : {}),
      ...(argv.timeout !== undefined && Number.isFinite(argv.timeout) && argv.timeout > 0 ? { timeoutMs: Math.round(argv.timeout * 1000) } : {}),
      userAgent: 'regprobe',
    },
  });
  const resolved: ResolvedAuth = {
    provider: engine,
    hasCredentials: known !== undefined,
    async prepare(registryUrl: string): Promise<boolean> {
      if (direct) return true;
      const origin = originOf(registryUrl);
      if (!fromDocker.has(origin)) {
        try {
          fromDocker.set(origin, await credentialFromDocker(registryUrl, { env }));
        } catch (err) {
          if (err instanceof AuthError) throw new CliError(redact(err.message));
          throw err;
        }
      }
      const c = fromDocker.get(origin);
      engine.useCredential(c);
      resolved.hasCredentials = c !== undefined;
      return resolved.hasCredentials;
    },
    close: () => engine.close(),
  };
  return resolved;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** The CA bundle for the token endpoint; an unreadable file is reported by the target, not here. */
function readCa(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
