// A throw-away home for the real client binaries of one conformance run: every file a client reads or
// writes (auth files, docker config, containers storage and configuration, keys, pulled content) lives
// under one temporary directory, so the user's own ~/.docker, ~/.config/containers and image stores
// are never read or touched. Removed when the run ends.
//
// podman and buildah get the containers configuration they need on small VMs and CI runners: runc as
// the runtime (Debian's podman defaults to crun, which may be missing), cgroupfs and file events (no
// systemd), explicit ulimits, vfs storage under the directory, no short-name search.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ExecResult {
  command: string;
  code: number | null;
  /** Set when the command was killed for running past its time. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Global flags podman and buildah need to keep their storage here. */
  containersFlags: string[];
  /** Runs a client binary here; never rejects for a non-zero exit (the result says it). */
  exec(bin: string, args: readonly string[], opts?: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<ExecResult>;
  remove(): Promise<void>;
}

/** What a client printed, cut to what a report line can hold. */
export function outputTail(r: ExecResult, max = 600): string {
  const text = `${r.stderr.trim()}\n${r.stdout.trim()}`.trim().replace(/\s*\n\s*/g, ' | ');
  return text.length > max ? `...${text.slice(-max)}` : text || '(no output)';
}

/** Values that must not reach a report (passwords given on stdin never do; tokens in output might). */
function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}

export async function createSandbox(opts: { secrets?: string[] } = {}): Promise<Sandbox> {
  // Lower case: podman names an image pulled from oci:DIR after DIR. Short: podman refuses a run
  // root longer than 50 characters.
  const dir = join(tmpdir(), `rpc-${randomBytes(4).toString('hex')}`);
  for (const d of ['home', 'xdg/run', 'xdg/config', 'xdg/data', 'cs/root', 'cs/rr', 'docker', 'work']) {
    await mkdir(join(dir, d), { recursive: true, mode: 0o700 });
  }
  await writeFile(
    join(dir, 'containers.conf'),
    '[containers]\ndefault_ulimits = ["nofile=1024:1024"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n',
  );
  await writeFile(join(dir, 'storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = "${dir}/cs/root"\nrunroot = "${dir}/cs/rr"\n`);
  await writeFile(join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  await writeFile(join(dir, 'auth.json'), '{"auths":{}}\n');
  await writeFile(join(dir, 'docker', 'config.json'), '{"auths":{}}\n');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin',
    // HOME too: oras and cosign fall back to ~/.docker/config.json.
    HOME: join(dir, 'home'),
    TMPDIR: join(dir, 'work'),
    DOCKER_CONFIG: join(dir, 'docker'),
    REGISTRY_AUTH_FILE: join(dir, 'auth.json'),
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
    XDG_RUNTIME_DIR: join(dir, 'xdg/run'),
    XDG_CONFIG_HOME: join(dir, 'xdg/config'),
    XDG_DATA_HOME: join(dir, 'xdg/data'),
    // The engines the user pointed at (docker and containerd need a daemon; the clients do not start one).
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    ...(process.env.CONTAINERD_ADDRESS ? { CONTAINERD_ADDRESS: process.env.CONTAINERD_ADDRESS } : {}),
    // No transparency log, no TUF root from the network: cosign runs with a local key only.
    TUF_ROOT: join(dir, 'home', '.sigstore'),
  };
  const secrets = opts.secrets ?? [];
  const exec: Sandbox['exec'] = (bin, args, o = {}) =>
    new Promise((resolve) => {
      const command = `${bin} ${args.join(' ')}`;
      const child = spawn(bin, [...args], { env: { ...env, ...o.env }, cwd: join(dir, 'work'), stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      const cap = (s: string, d: Buffer) => (s.length < 1_000_000 ? s + d.toString() : s);
      child.stdout.on('data', (d: Buffer) => (stdout = cap(stdout, d)));
      child.stderr.on('data', (d: Buffer) => (stderr = cap(stderr, d)));
      child.stdin.on('error', () => {});
      child.stdin.end(o.input ?? '');
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, o.timeoutMs ?? 120_000);
      const done = (code: number | null) => {
        clearTimeout(timer);
        resolve({ command: redact(command, secrets), code, timedOut, stdout: redact(stdout, secrets), stderr: redact(stderr, secrets) });
      };
      child.on('error', (err) => {
        stderr += err.message;
        done(null);
      });
      child.on('close', (code) => done(code));
    });
  return {
    dir,
    env,
    containersFlags: ['--root', join(dir, 'cs/root'), '--runroot', join(dir, 'cs/rr')],
    exec,
    // vfs layers are plain directories: removing the directory removes every trace.
    remove: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }),
  };
}
