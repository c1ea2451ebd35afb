// The real clients `--real-clients` can drive: the binary, the Debian package it comes in, and what
// else it needs (docker and ctr talk to a daemon). `auto` means every one found; a missing one is a
// skip naming its package.
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export const REAL_CLIENTS = ['skopeo', 'podman', 'buildah', 'docker', 'ctr', 'oras', 'cosign'] as const;
export type RealClientName = (typeof REAL_CLIENTS)[number];

export const PACKAGE_OF: Record<RealClientName, string> = {
  skopeo: 'skopeo',
  podman: 'podman (and runc)',
  buildah: 'buildah (and runc)',
  docker: 'docker.io (and a running engine: DOCKER_HOST or /var/run/docker.sock)',
  ctr: 'containerd (and a running containerd: CONTAINERD_ADDRESS or /run/containerd/containerd.sock)',
  oras: 'oras (Debian trixie and later)',
  cosign: 'cosign (Debian trixie and later)',
};

/** `--real-clients auto|none|LIST`; the message of a bad value is one line. */
export function parseRealClients(text: string | undefined): 'auto' | RealClientName[] {
  if (text === undefined || text.trim() === '' || text.trim() === 'none') return [];
  if (text.trim() === 'auto') return 'auto';
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !(REAL_CLIENTS as readonly string[]).includes(n));
  if (unknown.length > 0) throw new Error(`--real-clients: unknown client ${unknown.join(', ')} (choose from ${REAL_CLIENTS.join(', ')}, or auto)`);
  return [...new Set(names)] as RealClientName[];
}

/** The executable's path on PATH (and /usr/sbin, which a non-login PATH may lack), or undefined. */
export async function findOnPath(bin: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of [...path.split(delimiter), '/usr/sbin', '/sbin']) {
    if (!dir) continue;
    const p = join(dir, bin);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}
