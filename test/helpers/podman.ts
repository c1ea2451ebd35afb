// podman for tests, with every piece of its state in one throw-away directory: containers.conf
// (runc as the runtime: Debian's podman defaults to crun, which is not installed; cgroupfs and file
// events, since there is no systemd here; explicit ulimits: podman's defaults are refused on these VMs when a container runs),
// storage.conf (vfs under the directory), an empty registries.conf (no short-name search) and the XDG
// directories. Nothing under /etc/containers or ~/.config is read or written.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Podman {
  dir: string;
  /** Runs podman with this directory's configuration; rejects with its stderr on a non-zero exit. */
  run(args: string[], timeoutMs?: number): Promise<string>;
  remove(): Promise<void>;
}

export async function throwAwayPodman(): Promise<Podman> {
  // Lower case only: `podman pull oci:DIR` names the image after DIR, and names must be lower case.
  const dir = join(tmpdir(), `regprobe-podman-${randomBytes(6).toString('hex')}`);
  for (const d of ['xdg/run', 'xdg/config', 'xdg/data', 'root', 'runroot']) await mkdir(join(dir, d), { recursive: true, mode: 0o700 });
  await writeFile(
    join(dir, 'containers.conf'),
    '[containers]\ndefault_ulimits = ["nofile=1024:1024"]\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n',
  );
  await writeFile(join(dir, 'storage.conf'), `[storage]\ndriver = "vfs"\ngraphroot = "${dir}/root"\nrunroot = "${dir}/runroot"\n`);
  await writeFile(join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  // No credentials: the user's own auth file is never read.
  await writeFile(join(dir, 'auth.json'), '{"auths":{}}\n');
  const env = {
    ...process.env,
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
    XDG_RUNTIME_DIR: join(dir, 'xdg/run'),
    XDG_CONFIG_HOME: join(dir, 'xdg/config'),
    XDG_DATA_HOME: join(dir, 'xdg/data'),
    REGISTRY_AUTH_FILE: join(dir, 'auth.json'),
  };
  const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot')];
  const run = (args: string[], timeoutMs = 120_000) =>
    new Promise<string>((resolve, reject) => {
      execFile('podman', [...base, ...args], { env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err) reject(new Error(`podman ${args.join(' ')} failed: ${(stderr || err.message).trim().slice(-2000)}`));
        else resolve(stdout);
      });
    });
  return {
    dir,
    run,
    // vfs layers are plain directories: removing the directory removes every trace.
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
