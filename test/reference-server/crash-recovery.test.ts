// Crash safety (issue 2, "nothing lost, nothing corrupt"): a server process under concurrent push
// load is killed with SIGKILL at a random moment, restarted on the same storage directory, and
// everything the API shows is checked against what the registry had acknowledged. Three rounds on
// the same store, so each restart also recovers from the previous rounds.
import t, { type Test } from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { RegistryClient } from '../../src/client/registry-client.js';
import { blobOf, uniqueBytes } from '../../src/conformance/fixtures.js';
import { killChild, SERVE_ENTRY, startServeChild, type ServeChild } from '../helpers/cli-child.js';
import { PushLedger, pushLoad } from '../helpers/push-ledger.js';
import { blobState, verify } from '../helpers/push-verify.js';

const ROUNDS = 3;
const REPOS = ['crash/a', 'crash/b', 'crash/c/deep'];
const TAGS = ['t0', 't1', 't2', 'latest'];

async function startServer(t: Test, storage: string): Promise<ServeChild> {
  const child = await startServeChild([storage, 'json'], { entry: SERVE_ENTRY, timeoutMs: 120_000 });
  t.teardown(() => killChild(child));
  return child;
}

t.test('SIGKILL under concurrent pushes: every acknowledged blob, manifest and tag survives intact', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-crash-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const storage = join(dir, 'store');
  const ledger = new PushLedger();
  const shared = blobOf(uniqueBytes(24 * 1024));

  let server = await startServer(t, storage);
  for (let round = 1; round <= ROUNDS; round++) {
    const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 15_000, connections: 16 });
    let killed = false;
    const load = pushLoad(client, ledger, {
      loops: 4,
      repos: REPOS,
      tags: TAGS,
      maxOpsPerLoop: 200,
      deadline: Date.now() + 60_000,
      stopped: () => killed,
      shared,
    });

    // Kill once some manifests went through, at a random moment after that.
    const ackedBefore = ledger.ackedManifests;
    for (let i = 0; i < 600 && ledger.ackedManifests < ackedBefore + 3; i++) await sleep(50);
    const delay = randomInt(700);
    await sleep(delay);
    killed = true;
    server.signal('SIGKILL');
    const exit = await server.exited;
    const ops = await load;
    await client.close();
    t.equal(exit.signal, 'SIGKILL', `round ${round}: killed with SIGKILL ${delay} ms after the 3rd new manifest, ${ops} operations done`);
    t.same(ledger.unexpected, [], `round ${round}: every answer before the kill was a success`);
    ledger.unexpected.length = 0;

    server = await startServer(t, storage);
    const recovered = /"msg":"storage recovered"[^\n]*/.exec(server.stdout());
    t.comment(`round ${round}: ${recovered ? recovered[0] : 'nothing to recover'}`);
    const verifier = new RegistryClient({ baseUrl: server.url, timeoutMs: 15_000 });
    const problems = await verify(t, verifier, ledger);
    t.same(problems, [], `round ${round}: the restarted store shows only intact, acknowledged-or-absent content`);

    // The recovered store takes new pushes.
    const after = blobOf(uniqueBytes(1000 + round));
    const res = await verifier.request({ method: 'POST', path: `/v2/${REPOS[0]}/blobs/uploads/`, query: { digest: after.digest }, headers: { 'content-type': 'application/octet-stream' }, body: after.bytes });
    t.equal(res.status, 201, `round ${round}: the restarted server accepts a push`);
    await res.dump();
    t.equal(await blobState(verifier, REPOS[0]!, after.digest, after.size), 'ok');
    ledger.blob(REPOS[0]!, after).acked = true;
    await verifier.close();
  }

  server.signal('SIGTERM');
  t.equal((await server.exited).code, 0, 'the last server stops cleanly');
});
