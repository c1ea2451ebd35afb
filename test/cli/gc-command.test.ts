// `regprobe gc` and the serve flags for garbage collection and upload expiry: durations, the text
// of a report, --help, flags reaching a running server (its gc runs and is logged), bad values.
import t from 'tap';
import { join } from 'node:path';
import { RegistryClient } from '../../src/client/registry-client.js';
import { uploadBlobPostPut } from '../../src/client/operations.js';
import { uniqueBytes } from '../../src/conformance/fixtures.js';
import { CliError } from '../../src/cli/exit.js';
import { durationOption, formatDuration, parseLongDuration } from '../../src/cli/durations.js';
import { gcReportLines } from '../../src/report/gc-text.js';
import type { GcReport } from '../../reference-server/storage/index.js';
import { killChild, runCli, startServeChild } from '../helpers/cli-child.js';
import { tempDir } from '../reference-server/harness.js';

t.test('durations: ms, s, m/min, h, d; a bare number is seconds', async (t) => {
  const cases: [string, number][] = [['24h', 86_400_000], ['30m', 1_800_000], ['30min', 1_800_000], ['90s', 90_000], ['500ms', 500], ['7d', 604_800_000], ['0', 0], ['1.5h', 5_400_000], ['10', 10_000], [' 2 H ', 7_200_000]];
  for (const [text, ms] of cases) t.equal(parseLongDuration(text), ms, text);
  for (const text of ['', '-1h', 'soon', '1w', '1h30m', '1e3s']) t.equal(parseLongDuration(text), null, JSON.stringify(text));
  t.equal(formatDuration(86_400_000), '1 d');
  t.equal(formatDuration(3_600_000), '1 h');
  t.equal(formatDuration(90_000), '90 s');
  t.equal(formatDuration(1500), '1.5 s');
  t.equal(formatDuration(0), '0');
  const coerce = durationOption('gc-interval', { min: 1000 });
  t.equal(coerce('1h'), 3_600_000);
  t.throws(() => coerce('5x'), new CliError('--gc-interval: "5x" is not a duration (examples: 24h, 30m, 90s, 500ms, 0)'));
  t.throws(() => coerce('10ms'), new CliError('--gc-interval: must be at least 1 s'));
});

t.test('the text of a gc report: freed counts and bytes first, then what was kept', async (t) => {
  const report: GcReport = {
    dryRun: false, graceMs: 3_600_000, uploadTtlMs: 86_400_000, durationMs: 12, repositories: 2, manifests: 3, linksRemoved: 4,
    blobsRemoved: 3, bytesFreed: 3 * 1024 * 1024, blobsKept: 5, bytesKept: 2048, recentKept: 1, uploadsExpired: 1, uploadBytesFreed: 100,
  };
  const lines = gcReportLines(report, './data');
  t.equal(lines[0], 'garbage collection of ./data: freed 3145828 bytes (3.0 MiB)');
  t.match(lines[1], /removed 3 blobs, 3145728 bytes \(3\.0 MiB\); 4 repository links to unreferenced blobs/);
  t.match(lines[2], /expired 1 session, 100 bytes/);
  t.match(lines[3], /kept: +5 blobs, 2048 bytes \(2\.0 KiB\); 3 manifests in 2 repositories; 1 unreferenced blob or link younger than the grace period left for now/);
  t.match(lines[4], /took 12 ms \(grace period 1 h, upload TTL 1 d\)/);
  const dry = gcReportLines({ ...report, dryRun: true, recentKept: 0 }, './data');
  t.match(dry[0], /^dry run: nothing removed; garbage collection of \.\/data: would free/);
  t.match(dry[1], /would remove 3 blobs/);
  t.notMatch(dry[3], /grace period/, 'no note when nothing was left for the grace period');
});

t.test('--help documents gc and the serve flags', async (t) => {
  const [top, gc, serve] = await Promise.all([runCli(['--help']), runCli(['gc', '--help']), runCli(['serve', '--help'])]);
  t.match(top.stdout, /regprobe gc +remove blobs no manifest references/);
  for (const flag of ['--storage', '--dry-run', '--grace', '--upload-ttl']) t.match(gc.stdout, flag, `gc --help: ${flag}`);
  t.match(gc.stdout, /Refuses \(exit 2\) while a server uses the directory/);
  for (const flag of ['--upload-ttl', '--gc-interval', '--gc-grace']) t.match(serve.stdout, flag, `serve --help: ${flag}`);
});

t.test('serve --gc-interval/--gc-grace/--upload-ttl reach the server: it collects on its own and logs each run', async (t) => {
  const dir = await tempDir(t);
  const server = await startServeChild(['--port', '0', '--storage', join(dir, 'store'), '--log-format', 'json', '--gc-interval', '1s', '--gc-grace', '0', '--upload-ttl', '2h']);
  t.teardown(() => killChild(server));
  await server.waitFor(/"msg":"gc scheduled"[^\n]*"intervalMs":1000,"graceMs":0/);
  const first = await server.waitFor(/"msg":"garbage collected"[^\n]*/);
  t.match(first[0], /"graceMs":0,"uploadTtlMs":7200000/, 'grace and upload TTL as given');
  // A blob nothing references: the next runs sweep it (no grace), and say so.
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 20_000 });
  t.teardown(() => client.close());
  const { digest } = await uploadBlobPostPut(client, 'serve/gc', uniqueBytes(3000));
  await server.waitFor(/"msg":"garbage collected"[^\n]*"blobsRemoved":1,"bytesFreed":3000/, 30_000);
  const res = await client.request({ method: 'HEAD', path: `/v2/serve/gc/blobs/${digest}` });
  t.equal(res.status, 404, 'the unreferenced blob was collected');
  await res.dump();
  server.signal('SIGTERM');
  t.equal((await server.exited).code, 0, 'stops cleanly');
});

t.test('serve: bad gc and upload-ttl values are one line, exit 2', async (t) => {
  const cases: [string[], RegExp][] = [
    [['--gc-interval', '5x'], /^regprobe: --gc-interval: "5x" is not a duration/],
    [['--upload-ttl', '10ms'], /^regprobe: --upload-ttl: must be at least 1 s/],
  ];
  const runs = await Promise.all(cases.map(([args]) => runCli(['serve', '--port', '0', ...args])));
  for (const [i, [args, re]] of cases.entries()) {
    t.equal(runs[i]!.code, 2, `serve ${args.join(' ')}: exit 2`);
    t.match(runs[i]!.stderr, re, runs[i]!.stderr.trim());
    t.equal(runs[i]!.stderr.trim().split('\n').length, 1, 'one line');
  }
});
