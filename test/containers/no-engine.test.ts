// Without a Docker engine, --container is exit 2 with one line that says so and how to point
// DOCKER_HOST, for every command that takes it; the commands without --container do not care.
import t from 'tap';
import { existsSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli-child.js';

// testcontainers also looks at these when DOCKER_HOST does not answer.
const OTHER_SOCKETS = ['/var/run/docker.sock', `/run/user/${process.getuid?.() ?? 0}/docker.sock`];

t.test('conformance, bench and run --container without an engine: exit 2, one line', async (t) => {
  const present = OTHER_SOCKETS.filter((s) => existsSync(s));
  if (present.length > 0) {
    t.skip(`a Docker engine socket exists on this machine (${present.join(', ')}): testcontainers would use it`, () => {});
    return;
  }
  const home = mkdtempSync(join(tmpdir(), 'regprobe-noengine-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  const socket = join(home, 'no-docker.sock');
  // HOME: no ~/.testcontainers.properties or ~/.docker/run/docker.sock of the user's.
  const env = { HOME: home, DOCKER_HOST: `unix://${socket}`, XDG_RUNTIME_DIR: home };
  const runs = await Promise.all([
    runCli(['conformance', '--container', 'registry:3', '--report-dir', join(home, 'r1')], { env, timeoutMs: 60_000 }),
    runCli(['bench', '--container', 'zot', '--report-dir', join(home, 'r2')], { env, timeoutMs: 60_000 }),
    runCli(['run', '--container', 'example/registry:1', '--container-port', '5000', '--report-dir', join(home, 'r3')], { env, timeoutMs: 60_000 }),
  ]);
  for (const [i, r] of runs.entries()) {
    const cmd = ['conformance', 'bench', 'run'][i];
    t.equal(r.code, 2, `${cmd}: exit 2`);
    t.equal(r.stderr, `regprobe: --container needs a Docker engine and none answers at DOCKER_HOST=unix://${socket}: start Docker, or point DOCKER_HOST at one (e.g. DOCKER_HOST=unix:///var/run/docker.sock or DOCKER_HOST=tcp://HOST:2375)\n`, `${cmd}: one line`);
    t.equal(r.stdout, '', `${cmd}: nothing on stdout`);
    t.notOk(existsSync(join(home, `r${i + 1}`, 'conformance.json')) || existsSync(join(home, `r${i + 1}`, 'bench.json')), `${cmd}: no report written`);
  }
});
