// Memory check of the reference server's byte path: streams one big blob (default 1 GiB) in,
// pulls it back, verifies the digest, and prints throughput and the process's peak RSS.
// Server and client share this process, so the peak bounds both: it must stay far below the
// blob size. Run: npx tsx bench/reference-server-memory.ts [size-in-MiB, default 1024]
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { performance } from 'node:perf_hooks';
import { RegistryClient } from '../src/client/registry-client.js';
import { startReferenceServer } from '../reference-server/server.js';

const MiB = 1024 * 1024;

function* pattern(total: number, hash: ReturnType<typeof createHash>): Generator<Buffer> {
  const chunk = Buffer.alloc(256 * 1024);
  for (let sent = 0, i = 0; sent < total; i++) {
    const n = Math.min(chunk.length, total - sent);
    chunk.fill(i & 0xff);
    const c = Buffer.from(chunk.subarray(0, n));
    hash.update(c);
    sent += n;
    yield c;
  }
}

const peakMiB = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);

async function main(): Promise<void> {
  const sizeMiB = Number(process.argv[2] ?? 1024);
  if (!Number.isFinite(sizeMiB) || sizeMiB <= 0) throw new Error('size must be a positive number of MiB');
  const size = Math.round(sizeMiB * MiB);
  const server = await startReferenceServer();
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 120_000 });
  try {
    console.log(`blob ${sizeMiB} MiB; peak RSS at start ${peakMiB()} MiB`);
    const post = await client.request({ method: 'POST', path: '/v2/bench/memory/blobs/uploads/' });
    const location = post.header('location')!;
    await post.dump();
    const hash = createHash('sha256');
    let t0 = performance.now();
    const patch = await client.request({ method: 'PATCH', path: location, headers: { 'content-type': 'application/octet-stream' }, body: Readable.from(pattern(size, hash)) });
    if (patch.status !== 202) throw new Error(`PATCH answered ${patch.status}: ${await patch.text()}`);
    await patch.dump();
    const digest = `sha256:${hash.digest('hex')}`;
    const put = await client.request({ method: 'PUT', path: patch.header('location') ?? location, query: { digest } });
    if (put.status !== 201) throw new Error(`PUT answered ${put.status}: ${await put.text()}`);
    await put.dump();
    const pushS = (performance.now() - t0) / 1000;
    console.log(`push: ${pushS.toFixed(2)} s, ${(sizeMiB / pushS).toFixed(0)} MiB/s; peak RSS ${peakMiB()} MiB`);

    t0 = performance.now();
    const get = await client.request({ method: 'GET', path: `/v2/bench/memory/blobs/${digest}` });
    const back = createHash('sha256');
    let n = 0;
    for await (const c of get.body) {
      back.update(c as Buffer);
      n += (c as Buffer).length;
    }
    const pullS = (performance.now() - t0) / 1000;
    const ok = n === size && `sha256:${back.digest('hex')}` === digest;
    console.log(`pull: ${pullS.toFixed(2)} s, ${(sizeMiB / pullS).toFixed(0)} MiB/s; digest ${ok ? 'verified' : 'MISMATCH'}; peak RSS ${peakMiB()} MiB`);
    if (!ok) process.exitCode = 1;
  } finally {
    await client.close();
    await server.close();
  }
}

main().catch((err: unknown) => {
  console.error(`reference-server-memory: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
