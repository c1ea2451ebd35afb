// A registry image built here, offline, from Debian's docker-registry (CNCF distribution 2.8): the
// binary, the shared libraries `ldd` names and the config file of the official registry:2 image
// (deletion off, port 5000), laid out as registry:2 lays them out, brought in with `docker import`.
// The `distribution` preset must turn it into a registry the suite can fully test, as with registry:2.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DockerEngine } from './dockerd.js';
import { findBinary } from './peers.js';
import { importRootfs, sharedLibraries } from './dockerd.js';

/** The config file of the registry:2 image (distribution's cmd/registry/config-example.yml). */
const REGISTRY2_CONFIG = `version: 0.1
log:
  fields:
    service: registry
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: /var/lib/registry
http:
  addr: :5000
  headers:
    X-Content-Type-Options: [nosniff]
health:
  storagedriver:
    enabled: true
    interval: 10s
    threshold: 3
`;

/** The absolute paths of the shared libraries (and loader) a binary needs. */
export async function buildDistributionImage(engine: DockerEngine, tag = 'regprobe-test/distribution:2.8'): Promise<string> {
  const binary = findBinary('docker-registry');
  if (!binary) throw new Error('docker-registry is not installed (apt-get install docker-registry)');
  const root = join(engine.dir, 'rootfs-distribution');
  for (const d of ['bin', 'etc/docker/registry', 'var/lib/registry', 'tmp']) mkdirSync(join(root, d), { recursive: true });
  chmodSync(join(root, 'tmp'), 0o1777);
  copyFileSync(binary, join(root, 'bin/registry'));
  for (const lib of await sharedLibraries(binary)) {
    mkdirSync(join(root, dirname(lib)), { recursive: true });
    copyFileSync(lib, join(root, lib)); // follows symlinks: the file itself lands under the linked name
  }
  writeFileSync(join(root, 'etc/docker/registry/config.yml'), REGISTRY2_CONFIG);

  return importRootfs(engine, root, ['ENTRYPOINT ["/bin/registry"]', 'CMD ["serve", "/etc/docker/registry/config.yml"]', 'EXPOSE 5000'], tag, 60_000);
}
