// Real peers (Debian's docker-registry, skopeo, umoci, chromium, docker.io's dockerd) are used where users have them.
// Without one, the test is skipped with one clear line; with REGPROBE_REQUIRE_PEERS=1 (set by
// .ci/run) a missing peer is a failure, so CI never passes by skipping.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const PEER_BINARIES = {
  'docker-registry': 'apt-get install docker-registry',
  skopeo: 'apt-get install skopeo',
  umoci: 'apt-get install umoci',
  chromium: 'apt-get install chromium',
  wrk: 'apt-get install wrk',
  htpasswd: 'apt-get install apache2-utils',
  dockerd: 'apt-get install docker.io',
  podman: 'apt-get install podman runc',
  buildah: 'apt-get install buildah runc',
  ctr: 'apt-get install containerd',
  oras: 'apt-get install -t trixie oras (Debian trixie, see .ci/run)',
  cosign: 'apt-get install -t trixie cosign (Debian trixie, see .ci/run)',
} as const;

export type PeerName = keyof typeof PEER_BINARIES;

export function findBinary(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

import type { Test } from 'tap';

/**
 * Returns true when every named peer binary is installed. Otherwise: fails the test when
 * REGPROBE_REQUIRE_PEERS=1, else records one skip line naming the install command; returns false.
 */
export function requirePeers(t: Test, ...names: PeerName[]): boolean {
  const missing = names.filter((n) => !findBinary(n));
  if (missing.length === 0) return true;
  const how = missing.map((n) => `${n} (${PEER_BINARIES[n]})`).join(', ');
  if (process.env.REGPROBE_REQUIRE_PEERS === '1') t.fail(`peer missing: ${how}; REGPROBE_REQUIRE_PEERS=1 forbids skipping`);
  else t.skip(`peer missing, skipped: ${how}`, () => {});
  return false;
}
