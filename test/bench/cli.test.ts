// `regprobe bench` as a user runs it: --list, a short run against the bundled registry writing the
// JSON report, and the one-line exit-2 answers to bad flags and an unreachable registry.
import t from 'tap';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { runCli } from '../helpers/cli-child.js';
import { WORKLOADS } from '../../bench/workloads/index.js';
import { parseBenchReport } from '../../src/report/bench-load.js';
import { parseDuration, parseRate } from '../../src/cli/bench-command.js';
import { main } from '../../src/cli/main.js';

t.test('--list prints every workload id with its description, and the profiles', async (t) => {
  const r = await runCli(['bench', '--list']);
  t.equal(r.code, 0, r.code ? r.stderr : 'exit 0');
  for (const w of WORKLOADS) t.match(r.stdout, new RegExp(`^${w.id.replace('.', '\\.')}\\s+\\S`, 'm'), w.id);
  t.match(r.stdout, /^quick\s+about a minute/m);
  t.match(r.stdout, /^zb\s+/m);
});

t.test('a short run against the bundled registry writes a regprobe.bench/v1 report', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-bench-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const r = await runCli(['bench', '--workload', 'ping,blob.get', '--size', '8KiB', '--count', '5', '-c', '1,2', '--warmup', '0', '--report-dir', dir]);
  t.equal(r.code, 0, r.code ? r.stderr : 'exit 0');
  t.match(r.stdout, /blob\.get\.8KiB/, 'the table names the workload with its size');
  t.match(r.stdout, /c=2/);
  t.same(await readdir(dir), ['bench.json'], 'only the report, no temp file left');
  const report = parseBenchReport(await readFile(join(dir, 'bench.json'), 'utf8'));
  t.same(report.workloads.map((w) => w.key), ['ping', 'blob.get.8KiB']);
  t.same(report.workloads[1]!.steps.map((s) => [s.load, s.ok]), [[{ kind: 'closed', concurrency: 1 }, 5], [{ kind: 'closed', concurrency: 2 }, 5]]);
  t.equal(report.target.reference, true);
});

/** Runs main() in this process (fast), capturing stderr; only for arguments rejected before any run. */
async function mainInProcess(args: string[]): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = '';
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    return { code: await main(args), stderr };
  } finally {
    process.stderr.write = write;
  }
}

t.test('bad flags: exit 2 with one line, nothing run', async (t) => {
  const cases: Array<[string[], RegExp]> = [
    [['bench', '--workload', 'nope'], /unknown --workload nope/],
    [['bench', '--profile', 'huge'], /unknown --profile huge/],
    [['bench', '--concurrency', '0'], /--concurrency takes whole numbers/],
    [['bench', '--rate', '10', '--concurrency', '4'], /exclude each other/],
    [['bench', '--duration', 'soon'], /--duration: "soon" is not a duration/],
    [['bench', '--read-only'], /--read-only needs existing content/],
    [['bench', '--read-only', '--tag', 'a/b:1', '--workload', 'push.image'], /would write/],
    [['bench', '--param', 'size'], /--param takes NAME=VALUE/],
    [['bench', '--workload', 'ping', '--param', 'size=1MiB'], /no selected workload has a parameter size/],
    [['bench', '--max-error-rate', 'lots'], /--max-error-rate/],
    [['bench', '--format', 'pdf'], /unknown --format pdf/],
    [['bench', '--no-such-flag'], /Unknown argument/],
  ];
  for (const [args, re] of cases) {
    const r = await mainInProcess(args);
    t.equal(r.code, 2, `${args.join(' ')}: exit 2`);
    t.match(r.stderr, re, args.join(' '));
    t.equal(r.stderr.trim().split('\n').length, 1, `${args.join(' ')}: one line`);
  }
  // And once as a real process: the exit status and no stack trace.
  const r = await runCli(['bench', '--workload', 'nope']);
  t.equal(r.code, 2);
  t.equal(r.stderr, 'regprobe: unknown --workload nope (see regprobe bench --list)\n');
});

t.test('an unreachable registry: exit 2, one line', async (t) => {
  // A port that was free a moment ago: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const r = await runCli(['bench', `http://127.0.0.1:${port}`, '--workload', 'ping', '--count', '1', '--format', 'table']);
  t.equal(r.code, 2);
  t.match(r.stderr, /connection refused/);
  t.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

t.test('duration and rate parsers', async (t) => {
  t.equal(parseDuration('10'), 10_000);
  t.equal(parseDuration('500ms'), 500);
  t.equal(parseDuration('2m'), 120_000);
  t.equal(parseDuration('1.5s'), 1500);
  t.equal(parseDuration('-1'), null);
  t.equal(parseRate('1%'), 0.01);
  t.equal(parseRate('0'), 0);
  t.equal(parseRate('0.5%'), 0.005);
  t.equal(parseRate('150%'), null);
  t.equal(parseRate('x'), null);
});
