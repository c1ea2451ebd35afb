// Issue 10, "Hostile input": a seeded fuzz run (a few hundred hostile requests over every endpoint)
// against the reference registry in its own process. Properties: no 5xx, every well-formed request
// answered, the process alive, the fixture image byte-identical, nothing written outside storage.
// `npm run fuzz` is the same run at 10,000+ requests; a failure message names each failing shape
// with the command that replays it.
import t from 'tap';
import { runFuzz } from '../../bench/fuzz/run.js';
import { plantCanary, pushFixture, snapshot, snapshotDiff, startReferenceChild, strayCanaries, verifyFixture } from '../../bench/fuzz/target.js';

const SEED = 20261204;
const REQUESTS = 400;

t.test(`${REQUESTS} hostile requests (seed ${SEED}) leave the reference registry answering, alive and intact`, async (t) => {
  const server = await startReferenceChild();
  t.teardown(() => server.stop());
  const canary = await plantCanary(server.sandbox);
  const skip = ['storage'];
  const before = await snapshot(server.sandbox, skip);
  const fixture = await pushFixture(server.url, canary);

  const r = await runFuzz({ url: server.url, requests: REQUESTS, seed: SEED, concurrency: 4, livenessEvery: 50, timeoutMs: 10_000, ctx: fixture.ctx, owned: server });
  const shapes = (kind: string) => r.failures.filter((f) => f.kind === kind).map((f) => `${f.shape} (×${f.count}; replay: ${f.example.reproduce})`);

  t.equal(r.sent + r.skipped + r.lostToDeaths, REQUESTS, 'every generated request was accounted for');
  t.equal(r.skipped, 0, 'every request needing an upload session got one');
  t.ok(r.wellFormed.sent > REQUESTS / 2 && r.malformed.sent > 0, `both kinds were sent (${r.wellFormed.sent} well-formed, ${r.malformed.sent} malformed)`);
  t.same(shapes('5xx'), [], 'no answer is a 5xx');
  t.same(shapes('unanswered'), [], 'every well-formed request is answered');
  t.same(r.deaths.map((d) => `${d.how}: ${d.culprit?.shape ?? 'culprit not found'}`), [], 'the process never dies');
  t.equal(server.exited(), undefined, 'the process is still running');
  t.same(await verifyFixture(server.url, fixture), [], 'the fixture image is byte-identical by tag and digest, blobs included');
  const changes = snapshotDiff(before, await snapshot(server.sandbox, skip));
  changes.push(...(await strayCanaries(canary)));
  t.same(changes, [], 'nothing appeared or changed outside the storage directory');
});
