// `--container` for real: a Docker engine started here (test/helpers/dockerd.ts), an image built
// offline from Debian's docker-registry laid out like registry:2 (test/helpers/distribution-image.ts),
// and the CLI as a user runs it. The conformance suite through the `distribution` preset must give
// the same outcomes as the same binary run natively (fixtures/distribution-2.8.expected.json), which
// it does only if the preset's REGISTRY_STORAGE_DELETE_ENABLED reached the registry; a benchmark runs
// through a plain --container-port; `--container regprobe` starts regprobe's own image (built here
// from the compiled package, test/helpers/regprobe-image.ts), which passes; Ctrl-C, a registry that
// dies at start, a wrong port and an image that cannot be pulled each end as they should, and no
// container is ever left behind.
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConformanceReport } from '../../src/conformance/model.js';
import type { BenchReport } from '../../bench/model.js';
import { runCli, spawnCli } from '../helpers/cli-child.js';
import { startDockerd } from '../helpers/dockerd.js';
import { buildDistributionImage } from '../helpers/distribution-image.js';
import { buildRegprobeImage } from '../helpers/regprobe-image.js';
import { VERSION } from '../../src/version.js';
import { requirePeers } from '../helpers/peers.js';

const FIXTURE = fileURLToPath(new URL('../conformance/fixtures/distribution-2.8.expected.json', import.meta.url));
const LOOPBACK_URL = /^http:\/\/127\.0\.0\.1:\d+\/?$/;

function outcome(r: { status: string; skipKind?: string }): string {
  return r.status === 'skip' ? `skip:${r.skipKind ?? '?'}` : r.status;
}

// Two full suites and a benchmark through containers, and a dozen CLI starts: about 3.5 minutes on a
// busy 2-core machine under a CPU hog, so this file gets more than the default 600 s of .taprc.
t.setTimeout(900_000);

t.test('registries started from an image through testcontainers, on a Docker engine started here', async (t) => {
  if (!requirePeers(t, 'dockerd', 'docker-registry')) return;
  const t0 = Date.now();
  const engine = await startDockerd();
  t.teardown(() => engine.stop());
  const image = await buildDistributionImage(engine);
  t.comment(`engine up and image ${image} built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const env = { ...engine.env };
  const reports = mkdtempSync(join(tmpdir(), 'regprobe-containers-'));
  t.teardown(() => rm(reports, { recursive: true, force: true }));
  const containersLeft = async () => (await engine.docker(['ps', '-aq'])).trim();

  await t.test('conformance --container IMAGE --container-preset distribution: the outcomes of the native run', async (t) => {
    const dir = join(reports, 'conformance');
    const started = Date.now();
    const r = await runCli(['conformance', '--container', image, '--container-preset', 'distribution', '--spec', 'draft', '--format', 'json', '--report-dir', dir], {
      env,
      timeoutMs: 240_000,
    });
    t.comment(`conformance through the container: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.equal(r.code, 1, `exit 1: distribution 2.8 fails required cases (stderr: ${r.stderr.slice(-300)})`);
    t.match(r.stderr, /container: .*preset distribution.* answers at http:\/\/127\.0\.0\.1:\d+ \(container [0-9a-f]{12}/, 'says where the registry answers');
    t.match(r.stderr, /container: [0-9a-f]{12} stopped and removed/, 'says the container is gone');
    const report = JSON.parse(readFileSync(join(dir, 'conformance.json'), 'utf8')) as ConformanceReport;
    t.match(report.target.url, LOOPBACK_URL, 'the registry was reached on 127.0.0.1');
    t.equal(report.target.reference, false);

    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { cases: Record<string, string> };
    const compared = report.results.filter((c) => c.skipKind !== 'spec-version' && c.id in fixture.cases);
    t.ok(compared.length >= 100, `${compared.length} cases compared with the native run`);
    const differences = compared.filter((c) => outcome(c) !== fixture.cases[c.id]).map((c) => `${c.id}: ${outcome(c)}, natively ${fixture.cases[c.id]} (${c.message ?? ''})`);
    t.same(differences, [], 'every case ends as it does against docker-registry run natively');
    const del = report.results.find((c) => c.id === 'management.delete.manifest');
    t.equal(del && outcome(del), 'pass', "manifest deletion works: the preset's REGISTRY_STORAGE_DELETE_ENABLED=true reached the registry (its config has deletion off)");
    t.equal(await containersLeft(), '', 'no container left');
  });

  await t.test('bench --container IMAGE --container-port 5000: a short benchmark', async (t) => {
    const dir = join(reports, 'bench');
    const started = Date.now();
    const r = await runCli(
      ['bench', '--container', image, '--container-port', '5000', '-w', 'manifest.get,push.post-put', '--size', '64KiB', '-c', '2', '-n', '30', '--warmup', '0', '--format', 'json', '--report-dir', dir],
      { env, timeoutMs: 120_000 },
    );
    t.comment(`benchmark through the container: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.equal(r.code, 0, `exit 0 (stderr: ${r.stderr.slice(-300)})`);
    const report = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as BenchReport;
    t.match(report.target.url, LOOPBACK_URL, 'the registry was reached on 127.0.0.1');
    t.same(report.workloads.map((w) => w.id), ['manifest.get', 'push.post-put']);
    for (const w of report.workloads) {
      const step = w.steps[0];
      t.ok(step, `${w.id} ran a step${w.error ? ` (setup: ${w.error})` : ''}`);
      if (!step) continue;
      t.equal(step.ok, 30, `${w.id}: 30 operations succeeded`);
      t.equal(step.errors, 0, `${w.id}: no errors`);
      t.ok(step.opsPerSec > 0, `${w.id}: ${step.opsPerSec.toFixed(1)} ops/s`);
    }
    t.notMatch(r.stderr, /cleanup:/, 'no cleanup of a registry that is thrown away');
    t.equal(await containersLeft(), '', 'no container left');
  });

  await t.test('conformance --container regprobe: the preset starts our own image, which passes', async (t) => {
    const built = Date.now();
    // The preset's image name for this version, as a user who built it per docs/kubernetes.md has it.
    await buildRegprobeImage(engine, `regprobe:${VERSION}`);
    t.comment(`regprobe image built in ${((Date.now() - built) / 1000).toFixed(1)} s`);
    const dir = join(reports, 'regprobe');
    const started = Date.now();
    const r = await runCli(['conformance', '--container', 'regprobe', '--format', 'json', '--report-dir', dir], { env, timeoutMs: 240_000 });
    t.comment(`conformance of the regprobe image: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    t.equal(r.code, 0, `exit 0: every required case passed (stderr: ${r.stderr.slice(-300)})`);
    t.match(r.stderr, new RegExp(`container: regprobe:${VERSION.replace(/\./g, '\\.')} \\(preset regprobe\\) answers at http://127\\.0\\.0\\.1:\\d+`));
    const report = JSON.parse(readFileSync(join(dir, 'conformance.json'), 'utf8')) as ConformanceReport;
    t.match(report.target.url, LOOPBACK_URL);
    t.equal(report.summary.failed, 0, 'no case failed');
    t.ok(report.summary.passed >= 100, `${report.summary.passed} cases passed`);
    t.equal(await containersLeft(), '', 'no container left');
  });

  await t.test('Ctrl-C while the suite runs: the container is removed, exit 130', async (t) => {
    const child = spawnCli(['conformance', '--container', image, '--container-preset', 'distribution', '--format', 'table', '--report-dir', join(reports, 'sigint')], { env });
    // The line that says the registry answers; the bound only turns a hang into a failure.
    await child.waitFor(/answers at/, 180_000, 'stderr').catch((err: Error) => t.fail(err.message));
    t.match(child.stderr(), /answers at http:\/\/127\.0\.0\.1:\d+/, 'the registry came up');
    const ports = (await engine.docker(['ps', '--format', '{{.Ports}}'])).trim();
    t.match(ports, /^127\.0\.0\.1:\d+->5000\/tcp$/, `its port is published on 127.0.0.1 only (${ports})`);
    child.signal('SIGINT');
    // A guard against a hang only (the product bounds removal at 20 s).
    const timer = setTimeout(() => child.signal('SIGKILL'), 60_000);
    const exit = await child.exited;
    clearTimeout(timer);
    t.equal(exit.code, 130, 'exit 130');
    t.match(exit.stderr, /SIGINT: stopping the registry container [0-9a-f]{12}/);
    t.match(exit.stderr, /[0-9a-f]{12} stopped and removed/);
    t.equal(await containersLeft(), '', 'no container left');
  });

  await t.test('failures at start, side by side: each is exit 2 with one line, and nothing is left', async (t) => {
    const started = Date.now();
    const [dies, wrongPort, unpullable, noReaper] = await Promise.all([
      // A registry that exits at start: its error is quoted.
      runCli(['conformance', '--container', image, '--container-preset', 'distribution', '--container-env', 'REGISTRY_STORAGE=nosuchdriver', '-q'], { env, timeoutMs: 90_000 }),
      // The wrong --container-port: the wait is bounded.
      runCli(['bench', '--container', image, '--container-port', '6000', '--container-timeout', '3', '-q'], { env, timeoutMs: 90_000 }),
      // An image that is not there and cannot be pulled (no network here; elsewhere, no such repository).
      runCli(['run', '--container', 'regprobe-test/not-built:1', '--container-port', '5000', '-q'], { env, timeoutMs: 120_000 }),
      // testcontainers' reaper on (the default) and its image not pullable (a name that exists nowhere): the line says what to do.
      runCli(['conformance', '--container', image, '--container-port', '5000', '-q'], {
        env: { ...env, TESTCONTAINERS_RYUK_DISABLED: undefined, RYUK_CONTAINER_IMAGE: 'regprobe-test/no-such-ryuk:1' },
        timeoutMs: 120_000,
      }),
    ]);
    t.comment(`four failing starts: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const [what, r] of [['dies', dies], ['wrong port', wrongPort], ['unpullable', unpullable], ['no reaper', noReaper]] as const) {
      t.equal(r.code, 2, `${what}: exit 2`);
      t.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line (${r.stderr.trim()})`);
    }
    t.match(dies.stderr, /^regprobe: the registry in regprobe-test\/distribution:2\.8 \(preset distribution\) exited \(code \d+\) before GET \/v2\/ answered; its log says: .*nosuchdriver/);
    t.match(wrongPort.stderr, /^regprobe: the registry in regprobe-test\/distribution:2\.8 did not answer GET \/v2\/ with 200 or 401 within 3 s \(last: .*is --container-port the port it listens on\?\)/);
    t.match(unpullable.stderr, /^regprobe: the image regprobe-test\/not-built:1 is not on the Docker engine and could not be pulled: /);
    t.match(noReaper.stderr, /^regprobe: testcontainers could not start its reaper container \(testcontainers\/ryuk\): .*set TESTCONTAINERS_RYUK_DISABLED=true/);
    t.equal(await containersLeft(), '', 'no container left');
  });
  t.comment(`whole container test: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
});
