// `npm run bench:peers`: the "compare two registries" use case on real peers. Starts the bundled
// reference registry (`regprobe serve`, its own process) and Debian's docker-registry (CNCF
// distribution), runs the same benchmark profile on each through the bench engine, and writes both
// reports and their comparison (Markdown and HTML) to reports/peers/.
//
// Run: npm run bench:peers [-- --profile standard] [--duration 5s] [--concurrency 1,8,32] [--out reports/peers]
// The standard profile takes about ten minutes per registry. `--render-only` re-renders the
// comparison from the two reports already in --out.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { benchOnTarget, benchSettings, type BenchArgs } from '../src/cli/bench-command.js';
import { withTarget } from '../src/cli/target.js';
import { DEFAULT_BINARY, startDistribution, type DistributionPeer } from '../src/peers/distribution.js';
import { compareBench } from '../src/report/compare-model.js';
import { renderCompareMarkdown } from '../src/report/compare-markdown.js';
import { renderCompareHtml } from '../src/report/compare-html.js';
import { environmentLine } from '../src/report/bench-html.js';
import { writeFileAtomic } from '../src/report/atomic-write.js';
import { loadBenchReport } from '../src/report/bench-load.js';
import type { BenchReport } from './model.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const { values: opts } = parseArgs({
  options: {
    profile: { type: 'string', default: 'standard' },
    duration: { type: 'string' },
    concurrency: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'reports', 'peers') },
    'render-only': { type: 'boolean', default: false },
  },
});

/** `regprobe serve` in a child process on a free port; resolves once it says where it listens. */
async function startReferenceProcess(): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  // No per-request log lines: docker-registry's access log is off too (src/peers/distribution.ts).
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/run-main.ts'), 'serve', '--port', '0', '--log-format', 'none'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolveUrl, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('regprobe serve did not start within 60 s')), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+?) /.exec(out);
      if (m) {
        clearTimeout(timer);
        // Stop collecting: whatever serve prints later is drained unread, never kept or scanned.
        child.stdout!.off('data', onData);
        resolveUrl(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`regprobe serve exited (${code}) before listening`)));
  });
  child.stdout!.resume();
  const stop = async () => {
    if (child.exitCode !== null) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await done;
    clearTimeout(t);
  };
  return { url, child, stop };
}

function args(url: string, reportDir: string): BenchArgs {
  return {
    url,
    list: false,
    verbose: false,
    profile: opts.profile!,
    ...(opts.concurrency !== undefined ? { concurrency: [opts.concurrency] } : {}),
    ...(opts.duration !== undefined ? { duration: opts.duration } : {}),
    maxInFlight: 256,
    readOnly: false,
    namespace: 'regprobe-bench',
    keep: false,
    identicalContent: false,
    maxErrorRate: '1%',
    reportDir,
    format: ['table', 'json'],
    insecure: false,
    timeout: 60,
    quiet: false,
  };
}

async function benchmark(name: string, url: string): Promise<BenchReport> {
  process.stderr.write(`\n== ${name}: ${url} (profile ${opts.profile}) ==\n`);
  const s = benchSettings(args(url, join(opts.out!, name)), {});
  await mkdir(s.reportDir, { recursive: true });
  const { report } = await withTarget(s.target, (target) => benchOnTarget(s, target));
  return report;
}

async function writeComparison(out: string, a: BenchReport, b: BenchReport): Promise<string[]> {
  const c = compareBench([
    { source: 'reference.json', report: a },
    { source: 'distribution.json', report: b },
  ]);
  c.columns[0]!.about = `regprobe reference registry (regprobe serve, own process); ${c.columns[0]!.about}`;
  c.columns[1]!.about = `Debian docker-registry (CNCF distribution); ${c.columns[1]!.about}`;
  const machine = `Machine: ${environmentLine(a)}`;
  const md = join(out, 'comparison.md');
  const html = join(out, 'comparison.html');
  await writeFileAtomic(md, `${machine}\n\n${renderCompareMarkdown(c, undefined, { noise: 0.1 })}`);
  await writeFileAtomic(html, renderCompareHtml(c, undefined, { noise: 0.1 }));
  return [md, html];
}

async function main(): Promise<void> {
  const out = resolve(opts.out!);
  const files = { a: join(out, 'reference.json'), b: join(out, 'distribution.json') };
  if (opts['render-only']) {
    const written = await writeComparison(out, await loadBenchReport(files.a), await loadBenchReport(files.b));
    process.stderr.write(written.map((p) => `wrote ${p}\n`).join(''));
    return;
  }
  if (!existsSync(DEFAULT_BINARY)) throw new Error(`${DEFAULT_BINARY} is not installed (apt-get install docker-registry)`);
  await mkdir(out, { recursive: true });
  const reference = await startReferenceProcess();
  let distribution: DistributionPeer | undefined;
  try {
    distribution = await startDistribution();
    const a = await benchmark('reference', reference.url);
    const b = await benchmark('distribution', distribution.url);
    await writeFileAtomic(files.a, JSON.stringify(a, null, 2) + '\n');
    await writeFileAtomic(files.b, JSON.stringify(b, null, 2) + '\n');
    const written = await writeComparison(out, a, b);
    process.stderr.write(`\n${[files.a, files.b, ...written].map((p) => `wrote ${p}\n`).join('')}`);
  } finally {
    await distribution?.stop();
    await reference.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:peers: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
});

