import t from 'tap';
import { randomBytes, randomInt } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Digester, digestOf } from '../../src/oci/digest.js';
import { DigestPool, streamDigester } from '../../src/oci/digest-pool.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

/** Feeds `data` in random-sized chunks, waiting when the digester asks to. */
async function feed(d: { update(c: Uint8Array): void | Promise<void> }, data: Buffer): Promise<void> {
  for (let off = 0; off < data.length; ) {
    const n = Math.min(data.length - off, 1 + randomInt(3 * 64 * 1024));
    const wait = d.update(data.subarray(off, off + n));
    if (wait) await wait;
    off += n;
  }
}

t.test('digests match node:crypto for sizes around the batch boundary, sha256 and sha512', async (t) => {
  const pool = new DigestPool(2);
  t.teardown(() => pool.close());
  for (const size of [0, 1, MiB - 1, MiB, MiB + 1, 3 * MiB + 17]) {
    const data = randomBytes(size);
    for (const alg of ['sha256', 'sha512'] as const) {
      const d = pool.digester(alg);
      await feed(d, data);
      t.equal(await d.digest(), digestOf(data, alg), `${alg} of ${size} bytes`);
    }
  }
});

t.test('many digesters at once on fewer workers keep their streams apart', async (t) => {
  const pool = new DigestPool(2);
  t.teardown(() => pool.close());
  const blobs = Array.from({ length: 12 }, (_, i) => randomBytes(2 * MiB + i * 1000));
  const got = await Promise.all(
    blobs.map(async (b) => {
      const d = pool.digester('sha256');
      await feed(d, b);
      return d.digest();
    }),
  );
  t.same(got, blobs.map((b) => digestOf(b)));
});

t.test('a source faster than the worker is made to wait (bounded memory)', async (t) => {
  const pool = new DigestPool(1);
  t.teardown(() => pool.close());
  const d = pool.digester('sha256');
  const data = randomBytes(32 * MiB);
  let waits = 0;
  for (let off = 0; off < data.length; off += MiB) {
    const w = d.update(data.subarray(off, off + MiB));
    if (w) {
      waits++;
      await w;
    }
  }
  t.ok(waits > 0, `update asked the caller to wait ${waits} times for 32 batches`);
  t.equal(await d.digest(), digestOf(data));
});

t.test('an aborted digest frees its session and the pool keeps working', async (t) => {
  const pool = new DigestPool(1);
  t.teardown(() => pool.close());
  const a = pool.digester('sha256');
  await feed(a, randomBytes(3 * MiB));
  a.abort();
  const data = randomBytes(2 * MiB);
  const b = pool.digester('sha256');
  await feed(b, data);
  t.equal(await b.digest(), digestOf(data));
});

t.test('a worker that dies fails its digests instead of hanging them, and is replaced', async (t) => {
  const pool = new DigestPool(1);
  t.teardown(() => pool.close());
  const d = pool.digester('sha256');
  await feed(d, randomBytes(2 * MiB));
  await pool.close();
  await t.rejects(d.digest() as Promise<string>, /digest worker exited/);
  const data = randomBytes(MiB + 5);
  const e = pool.digester('sha256');
  await feed(e, data);
  t.equal(await e.digest(), digestOf(data), 'a new worker took over');
});

t.test('an idle pool does not keep the process alive', async (t) => {
  const mod = fileURLToPath(new URL('../../src/oci/digest-pool.ts', import.meta.url));
  const script = `const { digestPool } = await import(${JSON.stringify(mod)});
const d = digestPool().digester('sha256');
d.update(Buffer.alloc(5 * 1024 * 1024, 1));
console.log(await d.digest());`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 });
  t.equal(stdout.trim(), digestOf(Buffer.alloc(5 * MiB, 1)), 'the child hashed on the pool and exited on its own');
});

t.test('streamDigester: a worker only for large bodies on more than one core', async (t) => {
  const big = 4 * MiB;
  t.type(streamDigester('sha256', big - 1, 8), Digester, 'below 4 MiB: inline');
  t.type(streamDigester('sha256', Number.NaN, 8), Digester, 'unknown length: inline');
  t.type(streamDigester('sha256', big, 1), Digester, 'one core: inline (a worker would only add a copy)');
  const pooled = streamDigester('sha256', big, 2);
  t.notOk(pooled instanceof Digester, '4 MiB on two cores: on a worker');
  const data = randomBytes(big);
  await feed(pooled, data);
  t.equal(await pooled.digest(), digestOf(data));
});

t.test('however many blobs stream at once, the bytes queued at the workers stay bounded', async (t) => {
  const pool = new DigestPool(1);
  t.teardown(() => pool.close());
  const data = randomBytes(8 * MiB);
  const readers = 40;
  let most = 0;
  const got = await Promise.all(
    Array.from({ length: readers }, async () => {
      const d = pool.digester('sha256');
      for (let off = 0; off < data.length; off += 256 * 1024) {
        const wait = d.update(data.subarray(off, off + 256 * 1024));
        most = Math.max(most, pool.inFlight());
        if (wait) await wait;
      }
      return d.digest();
    }),
  );
  t.same(new Set(got), new Set([digestOf(data)]), `${readers} digests, all right`);
  // 32 MiB for the pool, plus at most one batch of each reader's: without the pool-wide cap a slow
  // worker would let the readers queue 8 MiB each (320 MiB).
  t.ok(most <= 32 + readers, `at most ${most} MiB queued (bound ${32 + readers})`);
});
