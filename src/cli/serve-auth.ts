// The auth group of `regprobe serve`: --auth none|htpasswd|token, the users, the access rules and the
// token signing key. Turns parsed arguments into the reference server's authorizer.
import { join } from 'node:path';
import type { InferredOptionTypes } from 'yargs';
import type { RequestAuthorizer } from '../../reference-server/auth/types.js';
import { createAuthorizer, AuthConfigError, type ReferenceAuthorizer } from '../../reference-server/auth/authorizer.js';
import { AccessRulesError } from '../../reference-server/auth/access-rules.js';
import { HtpasswdError } from '../../reference-server/auth/htpasswd.js';
import { KeyConfigError } from '../../reference-server/auth/keys.js';
import { CliError } from './exit.js';

export const authOptions = {
  auth: { choices: ['none', 'htpasswd', 'token'] as const, default: 'none' as const, describe: 'auth mode: none, htpasswd (Basic), or token (Bearer JWTs from the built-in /token service)' },
  htpasswd: { type: 'string', requiresArg: true, describe: 'users: an htpasswd file of bcrypt hashes (htpasswd -B); both auth modes' },
  access: { type: 'string', requiresArg: true, describe: 'access rules, JSON {"rules":[{"account","repository","actions"}]} (default: every user may do everything)' },
  'token-key': { type: 'string', requiresArg: true, describe: 'token mode: PEM private key (EC P-256 -> ES256, RSA -> RS256; default: generated into --storage)' },
  'token-cert': { type: 'string', requiresArg: true, describe: 'token mode: PEM certificate of --token-key (default: self-signed, written next to a generated key)' },
  issuer: { type: 'string', default: 'regprobe-token-service', requiresArg: true, describe: 'token mode: the "iss" of issued tokens' },
  service: { type: 'string', default: 'regprobe-registry', requiresArg: true, describe: 'token mode: the service name (token audience)' },
} as const;

/** Partial: callers that build arguments by hand (tests) may leave the whole group out (= --auth none). */
export type AuthArgs = Partial<InferredOptionTypes<typeof authOptions>>;

/** The authorizer for these arguments, or undefined for --auth none. One-line CliError for bad input. */
export async function authorizerFrom(args: AuthArgs, storageDir: string | undefined): Promise<ReferenceAuthorizer | undefined> {
  const mode = args.auth ?? 'none';
  if (mode === 'none') {
    const stray = (['htpasswd', 'access', 'token-key', 'token-cert'] as const).filter((k) => args[k] !== undefined);
    if (stray.length > 0) throw new CliError(`--${stray[0]} needs --auth htpasswd or --auth token`);
    return undefined;
  }
  if (mode === 'htpasswd' && (args['token-key'] !== undefined || args['token-cert'] !== undefined)) {
    throw new CliError(`--${args['token-key'] !== undefined ? 'token-key' : 'token-cert'} needs --auth token`);
  }
  if (mode === 'htpasswd' && args.htpasswd === undefined) throw new CliError('--auth htpasswd needs --htpasswd FILE (create one with: htpasswd -Bc FILE USER)');
  try {
    return await createAuthorizer({
      mode,
      ...(args.htpasswd !== undefined ? { htpasswdFile: args.htpasswd } : {}),
      ...(args.access !== undefined ? { accessFile: args.access } : {}),
      ...(args['token-key'] !== undefined ? { tokenKeyFile: args['token-key'] } : {}),
      ...(args['token-cert'] !== undefined ? { tokenCertFile: args['token-cert'] } : {}),
      // A generated key and its certificate live in <storage>/auth/ and are reused on the next start.
      ...(storageDir !== undefined ? { keyDir: join(storageDir, 'auth') } : {}),
      ...(args.issuer !== undefined ? { issuer: args.issuer } : {}),
      ...(args.service !== undefined ? { service: args.service } : {}),
    });
  } catch (err) {
    if (err instanceof AuthConfigError || err instanceof HtpasswdError || err instanceof AccessRulesError || err instanceof KeyConfigError) throw new CliError(err.message);
    throw err;
  }
}

/** One phrase for the status line: what auth is on and where its pieces are. */
export function authSummary(authorizer: RequestAuthorizer | undefined, url: string): string {
  const a = authorizer && 'mode' in authorizer ? (authorizer as ReferenceAuthorizer) : undefined;
  if (!a || a.mode === 'none') return 'auth none';
  const users = a.checker ? `${a.checker.userCount} user${a.checker.userCount === 1 ? '' : 's'}` : 'no users: anonymous only';
  if (a.mode === 'htpasswd') return `auth htpasswd (${users})`;
  const k = a.signingKey!;
  const cert = k.certFile ? `certificate ${k.certFile}` : 'key generated in memory (give --storage to keep it and its certificate)';
  return `auth token (${users}; realm ${url}/token, service ${a.service}, issuer ${a.issuer}, ${k.alg}, ${cert})`;
}
