// An isolated Docker engine for tests (Debian docker.io's dockerd, run as root), modelled on
// ../shared/peers/dockerd.sh: its own data root, exec root and socket under a temporary directory, its
// own bridge with its own address range (so it coexists with other engines on the machine), no
// iptables/NAT (published ports go through docker-proxy, on 127.0.0.1 when asked). stop() removes the
// containers, stops the daemon, unmounts what it left, deletes the bridge and the directory.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { findBinary } from './peers.js';

export interface DockerEngine {
  dir: string;
  /** unix:///.../docker.sock */
  host: string;
  /** What a regprobe child needs to reach this engine through testcontainers. */
  env: Record<string, string>;
  /** Runs the docker CLI against this engine; rejects with its stderr on a non-zero exit. */
  docker(args: string[], opts?: { input?: NodeJS.ReadableStream; timeoutMs?: number }): Promise<string>;
  stop(): Promise<void>;
}

/** Runs a command with a time bound; resolves with stdout, rejects with the exit status and stderr. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; input?: NodeJS.ReadableStream; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: [opts.input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    if (opts.input) opts.input.pipe(child.stdin!);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')}: ${signal ? `killed (${signal}, time limit?)` : `exit ${code}`}: ${err.trim()}`));
    });
  });
}

/** The shared libraries `ldd` names for a binary, by the paths the loader looks for (none for a static one). */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const out = await run('ldd', [binary]).catch(() => ''); // "not a dynamic executable": exit 1
  return [...out.matchAll(/(\/\S+)/g)].map((m) => m[1]!).filter((p) => p !== binary);
}

/** `docker import` of a root filesystem directory as `tag`, with Dockerfile instructions (`--change`). */
export async function importRootfs(engine: DockerEngine, root: string, changes: string[], tag: string, timeoutMs = 120_000): Promise<string> {
  const tar = spawn('tar', ['-C', root, '-c', '.'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await engine.docker(['import', ...changes.flatMap((c) => ['--change', c]), '-', tag], { input: tar.stdout, timeoutMs });
  return tag;
}

/** GET /_ping on the engine's socket: true on 200. */
function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', method: 'GET', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

/** An unused 10.x.y.0/24 for the bridge: not on any interface of this machine. */
async function freeSubnet(): Promise<string> {
  const used = await run('ip', ['-4', '-o', 'addr', 'show']).catch(() => '');
  for (let i = 0; i < 50; i++) {
    const b = randomBytes(2);
    const prefix = `10.${200 + (b[0]! % 50)}.${b[1]}.`;
    if (!used.includes(` ${prefix}`)) return `${prefix}1/24`;
  }
  throw new Error('no free 10.x.y.0/24 for the test bridge');
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

export async function startDockerd(opts: { timeoutMs?: number } = {}): Promise<DockerEngine> {
  const dockerd = findBinary('dockerd');
  const dockerCli = findBinary('docker');
  if (!dockerd || !dockerCli) throw new Error('dockerd and docker must be installed (apt-get install docker.io)');
  // Short path: the socket's path must stay under the 108-byte limit of unix socket names.
  const dir = mkdtempSync('/tmp/rpd-');
  const socket = join(dir, 'docker.sock');
  const bridge = `rpd${randomBytes(3).toString('hex')}`;
  const cidr = await freeSubnet();
  const cleanup: Array<() => Promise<unknown>> = [];
  const undo = async () => {
    for (const f of cleanup.reverse()) await f().catch(() => {});
    await rm(dir, { recursive: true, force: true }).catch(() => {});
  };

  let child: ChildProcess | undefined;
  try {
    await run('ip', ['link', 'add', 'name', bridge, 'type', 'bridge']);
    cleanup.push(() => run('ip', ['link', 'del', bridge]));
    await run('ip', ['addr', 'add', cidr, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);

    const log = openSync(join(dir, 'dockerd.log'), 'a');
    child = spawn(
      dockerd,
      [
        '--iptables=false',
        '--ip-masq=false',
        '--bridge', bridge,
        '--data-root', join(dir, 'root'),
        '--exec-root', join(dir, 'exec'),
        '--pidfile', join(dir, 'dockerd.pid'),
        '-H', `unix://${socket}`,
      ],
      { detached: true, stdio: ['ignore', log, log] },
    );
    closeSync(log);
    const daemon = child;
    // If the test process dies without stop(), the daemon must not outlive it.
    const killOnExit = () => daemon.kill('SIGKILL');
    process.once('exit', killOnExit);
    cleanup.push(async () => process.removeListener('exit', killOnExit));
    cleanup.push(async () => {
      if (daemon.exitCode === null && daemon.signalCode === null) {
        daemon.kill('SIGTERM');
        const done = await Promise.race([exited(daemon).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 20_000))]);
        if (!done) {
          daemon.kill('SIGKILL');
          await exited(daemon);
        }
      }
      // dockerd can leave mounts under its directories (e.g. exec/netns/default).
      const mounts = readFileSync('/proc/mounts', 'utf8')
        .split('\n')
        .map((l) => l.split(' ')[1] ?? '')
        .filter((m) => m.startsWith(`${dir}/`))
        .sort()
        .reverse();
      for (const m of mounts) await run('umount', [m]).catch(() => run('umount', ['-l', m]).catch(() => {}));
    });

    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    for (;;) {
      if (child.exitCode !== null) throw new Error(`dockerd exited (${child.exitCode}): ${readFileSync(join(dir, 'dockerd.log'), 'utf8').trim().split('\n').slice(-5).join(' | ')}`);
      if (await ping(socket)) break;
      if (Date.now() > deadline) throw new Error(`dockerd did not answer on ${socket} within ${opts.timeoutMs ?? 30_000} ms (log: ${join(dir, 'dockerd.log')})`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await undo();
    throw err;
  }

  const host = `unix://${socket}`;
  const env = {
    DOCKER_HOST: host,
    DOCKER_CONFIG: join(dir, 'cli'),
    // The reaper's image cannot be pulled here; stop() removes what the tests leave.
    TESTCONTAINERS_RYUK_DISABLED: 'true',
  };
  const docker = (args: string[], o: { input?: NodeJS.ReadableStream; timeoutMs?: number } = {}) =>
    run(dockerCli, args, { env: { ...process.env, ...env }, ...(o.input ? { input: o.input } : {}), timeoutMs: o.timeoutMs ?? 60_000 });
  return {
    dir,
    host,
    env,
    docker,
    stop: async () => {
      const ids = (await docker(['ps', '-aq']).catch(() => '')).split(/\s+/).filter(Boolean);
      if (ids.length > 0) await docker(['rm', '-f', ...ids]).catch(() => {});
      await undo();
    },
  };
}
