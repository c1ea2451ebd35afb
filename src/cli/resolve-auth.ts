// Credentials from the command line and environment -> the client's AuthProvider. The one place to
// change when the full auth engine (tokens, docker config, credential helpers) arrives.
import type { AuthProvider } from '../client/auth-provider.js';
import { BasicAuth } from '../auth/basic-auth.js';
import { CliError } from './exit.js';

export interface AuthArgs {
  username?: string;
  password?: string;
}

export interface ResolvedAuth {
  provider?: AuthProvider;
  /** Whether the user gave credentials (a 401 then means they were refused). */
  hasCredentials: boolean;
}

export function resolveAuth(argv: AuthArgs, env: NodeJS.ProcessEnv = process.env): ResolvedAuth {
  // An empty variable counts as unset (CI templates often export empty ones); an empty flag does not.
  const username = argv.username ?? (env.REGPROBE_USERNAME || undefined);
  const password = argv.password ?? (env.REGPROBE_PASSWORD || undefined);
  if (username === undefined && password === undefined) return { hasCredentials: false };
  if (!username) throw new CliError('a password was given without a user name: add --username (or REGPROBE_USERNAME)');
  if (password === undefined) throw new CliError(`no password for user ${username}: add --password or set REGPROBE_PASSWORD`);
  return { provider: new BasicAuth({ username, password }), hasCredentials: true };
}
