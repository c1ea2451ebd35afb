// docker credential helpers: `docker-credential-<name> get` with the server URL on stdin, JSON
// {ServerURL, Username, Secret} on stdout. Username `<token>` means Secret is an identity token.
import { spawn } from 'node:child_process';
import { AuthError } from './errors.js';

export interface HelperCredential {
  username?: string;
  password?: string;
  identityToken?: string;
}

export interface HelperOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
}

const MAX_OUTPUT = 64 * 1024;

/** Runs the helper; undefined when it has no credentials for this server. */
export async function runCredentialHelper(name: string, serverUrl: string, opts: HelperOptions = {}): Promise<HelperCredential | undefined> {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new AuthError('credential-source', `docker config names an invalid credential helper ${JSON.stringify(name.slice(0, 60))}`);
  }
  const bin = `docker-credential-${name}`;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const { code, stdout, stderr, error, timedOut } = await new Promise<{ code: number | null; stdout: string; stderr: string; error?: NodeJS.ErrnoException; timedOut: boolean }>((resolve) => {
    let out = '';
    let err = '';
    let settled = false;
    let timedOut = false;
    // Own process group: a helper that is a script can leave children holding our pipes; the whole
    // group goes on a timeout.
    const child = spawn(bin, ['get'], { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      child.stdout.destroy();
      child.stderr.destroy();
      finish(null);
    }, timeoutMs);
    const finish = (code: number | null, error?: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err, ...(error ? { error } : {}), timedOut });
    };
    child.stdout.on('data', (d: Buffer) => {
      if (out.length < MAX_OUTPUT) out += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      if (err.length < MAX_OUTPUT) err += d.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => finish(null, e));
    child.on('close', (c) => finish(c));
    child.stdin.on('error', () => undefined);
    child.stdin.end(serverUrl);
  });
  if (error?.code === 'ENOENT') throw new AuthError('credential-source', `docker config uses credential helper "${name}" but ${bin} is not on PATH`);
  if (error) throw new AuthError('credential-source', `${bin} could not be run: ${error.code ?? error.message}`);
  if (timedOut) throw new AuthError('credential-source', `${bin} get did not answer within ${timeoutMs} ms`);
  if (code !== 0) {
    const msg = (stdout + stderr).trim();
    // The helpers' own wording for "no entry" (docker-credential-helpers credentials.NewErrCredentialsNotFound).
    if (/credentials not found|not found in native keychain|no credentials/i.test(msg)) return undefined;
    throw new AuthError('credential-source', `${bin} get failed (exit ${code})${msg ? `: ${firstLine(msg)}` : ''}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new AuthError('credential-source', `${bin} get did not print JSON`);
  }
  const o = parsed as { Username?: unknown; Secret?: unknown };
  const username = typeof o.Username === 'string' ? o.Username : undefined;
  const secret = typeof o.Secret === 'string' ? o.Secret : undefined;
  if (!secret) return undefined;
  if (username === '<token>') return { identityToken: secret };
  return { ...(username !== undefined ? { username } : {}), password: secret };
}

function firstLine(s: string): string {
  return s.split(/\r?\n/)[0]!.slice(0, 200);
}
