// The regprobe CLI as a child process, run from source with the tsx loader (no build needed, so a
// test always exercises the code in the tree). Every wait is bounded.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** serve() without the CLI in front: starts faster (no other command's modules to load). */
export const SERVE_ENTRY = 'test/helpers/serve-entry.ts';

export interface CliExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliChild {
  proc: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<CliExit>;
  /** Resolves with the first match of `re` on stdout (or stderr); rejects after `timeoutMs` or if the process exits first. */
  waitFor(re: RegExp, timeoutMs?: number, stream?: 'stdout' | 'stderr'): Promise<RegExpMatchArray>;
  /** Sends a signal (no-op once exited). */
  signal(sig: NodeJS.Signals): void;
}

export interface SpawnOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** TypeScript entry, relative to the repository root (default: the CLI, src/cli/run-main.ts). */
  entry?: string;
}

/** Starts `regprobe <args>` from source; `cwd` defaults to the repository root. */
export function spawnCli(args: string[], opts: SpawnOptions = {}): CliChild {
  const entry = join(REPO_ROOT, opts.entry ?? 'src/cli/run-main.ts');
  const proc = spawn(process.execPath, ['--import', 'tsx', entry, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = (async (): Promise<CliExit> => {
    const [code, signal] = (await once(proc, 'close')) as [number | null, NodeJS.Signals | null];
    return { code, signal, stdout: out, stderr: err };
  })();
  let done = false;
  void exited.then(() => (done = true));

  const waitFor = (re: RegExp, timeoutMs = 30_000, stream: 'stdout' | 'stderr' = 'stdout') =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const text = () => (stream === 'stdout' ? out : err);
      const check = () => {
        const m = re.exec(text());
        if (m) {
          finish();
          resolve(m);
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`no ${re} on ${stream} within ${timeoutMs} ms; stdout: ${out.slice(-2000)} stderr: ${err.slice(-2000)}`));
      }, timeoutMs);
      const onExit = (r: CliExit) => {
        if (!re.exec(stream === 'stdout' ? r.stdout : r.stderr)) {
          finish();
          reject(new Error(`exited (code ${r.code}, signal ${r.signal}) before ${re} appeared; stdout: ${r.stdout.slice(-2000)} stderr: ${r.stderr.slice(-2000)}`));
        }
      };
      const finish = () => {
        clearTimeout(timer);
        proc[stream]!.off('data', check);
      };
      proc[stream]!.on('data', check);
      void exited.then(onExit);
      check();
    });

  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor,
    signal: (sig) => {
      if (!done && proc.exitCode === null && proc.signalCode === null) proc.kill(sig);
    },
  };
}

/**
 * Runs `regprobe <args>` to completion, with NO_COLOR=1 unless `env` says otherwise. A run still going
 * after `timeoutMs` (default 120 s) is SIGKILLed and rejects with the end of its output, so that a
 * hang fails the test saying so rather than as an exit code of null.
 */
export async function runCli(args: string[], opts: SpawnOptions & { timeoutMs?: number } = {}): Promise<CliExit> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const child = spawnCli(args, { ...opts, env: { NO_COLOR: '1', ...opts.env } });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.signal('SIGKILL');
  }, timeoutMs);
  try {
    const r = await child.exited;
    if (timedOut) throw new Error(`regprobe ${args.join(' ')} did not finish within ${timeoutMs} ms; stdout: ${r.stdout.slice(-2000)} stderr: ${r.stderr.slice(-2000)}`);
    return r;
  } finally {
    clearTimeout(timer);
  }
}

export interface ServeChild extends CliChild {
  url: string;
}

const LISTENING_RE = /listening on (https?:\/\/[^\s)]+)|"url":"(https?:\/\/[^"]+)"/;

/**
 * Starts `regprobe serve <args>` and waits for the line that names its URL. With `entry:
 * SERVE_ENTRY` the child runs the same serve() without the CLI parser (args: storage dir, log format).
 */
export async function startServeChild(args: string[], opts: SpawnOptions & { timeoutMs?: number } = {}): Promise<ServeChild> {
  const child = spawnCli(opts.entry ? args : ['serve', ...args], opts);
  try {
    const m = await child.waitFor(LISTENING_RE, opts.timeoutMs ?? 60_000);
    return { ...child, url: (m[1] ?? m[2])! };
  } catch (err) {
    child.signal('SIGKILL');
    await child.exited;
    throw err;
  }
}

/** Ends a child for good (test teardown): SIGKILL unless it already exited. */
export async function killChild(child: CliChild): Promise<void> {
  child.signal('SIGKILL');
  await child.exited;
}
