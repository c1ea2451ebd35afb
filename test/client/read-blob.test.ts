import t from 'tap';
import { randomBytes } from 'node:crypto';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { startReferenceServer } from '../../reference-server/server.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { DigestMismatchError, pushBlobPostPut, readBlob } from '../../src/client/operations.js';
import { digestOf } from '../../src/oci/digest.js';

const MiB = 1024 * 1024;

/** Flips one byte of a stored blob, keeping its length (storage layout: blobs/<alg>/<2 hex>/<hex>). */
async function corrupt(storageDir: string, digest: string, at: number): Promise<void> {
  const hex = digest.slice('sha256:'.length);
  const f = await open(join(storageDir, 'blobs', 'sha256', hex.slice(0, 2), hex), 'r+');
  try {
    const b = Buffer.alloc(1);
    await f.read(b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    await f.write(b, 0, 1, at);
  } finally {
    await f.close();
  }
}

// Small blobs are hashed inline, large ones (4 MiB and more) on worker threads: both must verify.
for (const size of [64 * 1024, 6 * MiB]) {
  t.test(`readBlob verifies a ${size} byte blob and catches a corrupted one`, async (t) => {
    const server = await startReferenceServer({ port: 0 });
    const client = new RegistryClient({ baseUrl: server.url });
    t.teardown(async () => {
      await client.close();
      await server.close();
    });
    const good = randomBytes(size);
    const bad = randomBytes(size);
    for (const bytes of [good, bad]) await pushBlobPostPut(client, 'r/blobs', { digest: digestOf(bytes), size, open: () => bytes });
    const r = await readBlob(client, 'r/blobs', digestOf(good));
    t.equal(r.bytes, size, 'an intact blob reads whole and verifies');
    await corrupt(server.storageDir, digestOf(bad), size - 1);
    await t.rejects(readBlob(client, 'r/blobs', digestOf(bad)), DigestMismatchError, 'a flipped last byte is a digest mismatch');
    const unverified = await readBlob(client, 'r/blobs', digestOf(bad), { verify: false });
    t.equal(unverified.bytes, size, 'verify: false reads it without complaint');
    t.equal((await readBlob(client, 'r/blobs', digestOf(good))).bytes, size, 'the client still reads after a mismatch');
  });
}
