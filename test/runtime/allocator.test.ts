// keepFreedHeapMemory: after it, the 64 KiB buffers that socket reads allocate, freed together by
// the GC, no longer fault their pages back in on the next read. Measured in child processes as
// page faults (/proc/self/stat), not time. The children collect garbage themselves before every read
// and with V8's background GC threads off, so the buffers are freed at a known moment on one thread.
//
// What is asserted is the tuned process: its steady reads fault in under 1% of the pages they read.
// The untuned process is measured and shown, not asserted: whether glibc returns its pages depends on
// the heap's layout (a live allocation above the freed buffers blocks the trim, and glibc raises its
// own threshold after freeing any large mapped block), so under a CPU hog it kept them by luck in some
// runs (medians of 2 to 16,300 faults per read), even with the default threshold pinned.
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const mod = fileURLToPath(new URL('../../src/runtime/allocator.ts', import.meta.url));

/** Median minor page faults per 64 MiB read from a loopback socket (9 reads after a first, excluded). */
async function faultsPer64MiB(tune: boolean): Promise<number> {
  const script = `
const { keepFreedHeapMemory } = await import(${JSON.stringify(mod)});
const { readFileSync } = await import('node:fs');
const net = await import('node:net');
const tuned = ${tune} ? keepFreedHeapMemory() : false;
const minflt = () => Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[7]);
const payload = Buffer.alloc(64 * 1024 * 1024, 7);
const server = net.createServer((s) => s.end(payload));
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const readAll = () => new Promise((resolve, reject) => {
  let n = 0;
  const c = net.connect(server.address().port, '127.0.0.1');
  c.on('data', (d) => { n += d.length; });
  c.on('end', () => resolve(n));
  c.on('error', reject);
});
await readAll();
const faults = [];
for (let i = 0; i < 9; i++) {
  globalThis.gc();
  const f0 = minflt();
  if ((await readAll()) !== payload.length) throw new Error('short read');
  faults.push(minflt() - f0);
}
console.log(JSON.stringify({ tuned, faults: faults.sort((a, b) => a - b)[4] }));
server.close();`;
  const env = { ...process.env };
  delete env.MALLOC_TRIM_THRESHOLD_;
  const { stdout } = await run(process.execPath, ['--expose-gc', '--single-threaded-gc', '--import', 'tsx', '--input-type=module', '-e', script], { timeout: 120_000, env });
  const r = JSON.parse(stdout) as { tuned: boolean; faults: number };
  if (tune) t.equal(r.tuned, true, 'the tuning ran');
  return r.faults;
}

t.test('freed socket-sized buffers are reused instead of faulted back in', { skip: process.platform !== 'linux' && 'glibc tuning: Linux only' }, async (t) => {
  const pages = (64 * 1024 * 1024) / 4096;
  const plain = await faultsPer64MiB(false);
  t.comment(`without the tuning: median ${plain} faults per 64 MiB read (usually about ${pages}: every page faulted in again)`);
  const tuned = await faultsPer64MiB(true);
  t.ok(tuned < pages / 100, `with it the memory is kept and reused (median ${tuned} faults per 64 MiB read, ${pages} pages)`);
});

t.test('idempotent, and it leaves an explicit MALLOC_TRIM_THRESHOLD_ alone', async (t) => {
  const script = `const { keepFreedHeapMemory } = await import(${JSON.stringify(mod)});
console.log(JSON.stringify([keepFreedHeapMemory(), keepFreedHeapMemory()]));`;
  const once = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 });
  t.same(JSON.parse(once.stdout), [process.platform === 'linux', false]);
  const userSet = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000, env: { ...process.env, MALLOC_TRIM_THRESHOLD_: '1000000' } });
  t.same(JSON.parse(userSet.stdout), [false, false], 'the user chose a threshold: not overridden');
});
