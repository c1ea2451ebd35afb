// What tracing costs a benchmark: `regprobe bench -w manifest.get` against the in-process reference
// registry, without tracing and with it (spans exported over OTLP/HTTP to a receiver here that
// discards them) at per-request sample rates 0 (the default: phase and step spans only), 0.01 and 1.
// Each run is a child process doing a fixed number of requests; it reports req/s and the CPU time
// the command used (load generator, registry and tracing share that process). On a busy machine
// req/s swings with the neighbours, CPU per request much less: both are printed, as medians over
// rounds in which the configurations take turns (each round starts with the next one), with their
// ratio to "off".
// Run: npx tsx bench/otel-overhead.ts [requests per run, default 20000] [rounds, default 3] [concurrency, default 8]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchReport } from './model.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Config {
  name: string;
  env: NodeJS.ProcessEnv;
  args: string[];
}

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 20_000);
  const rounds = Number(process.argv[3] ?? 3);
  const concurrency = Number(process.argv[4] ?? 8);
  if (!(Number.isInteger(requests) && requests > 0) || !(Number.isInteger(rounds) && rounds > 0) || !(Number.isInteger(concurrency) && concurrency > 0)) {
    throw new Error('usage: otel-overhead.ts [requests >= 1] [rounds >= 1] [concurrency >= 1]');
  }
  let received = 0;
  const sink = createServer((req, res) => {
    req.on('data', (c: Buffer) => (received += c.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-otel-overhead-'));
  const off = { OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '', OTEL_SDK_DISABLED: '' };
  const on = { ...off, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint };
  const configs: Config[] = [
    { name: 'tracing off', env: off, args: [] },
    { name: 'on, sample 0 (default)', env: on, args: ['--otel-sample-rate', '0'] },
    { name: 'on, sample 0.01', env: on, args: ['--otel-sample-rate', '0.01'] },
    { name: 'on, sample 1 (every request)', env: on, args: ['--otel-sample-rate', '1'] },
  ];
  const figures = new Map<string, Run[]>(configs.map((c) => [c.name, []]));
  try {
    console.log(`manifest.get, concurrency ${concurrency}, ${requests} requests per run (no warm-up), ${rounds} rounds, in-process reference registry; node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}`);
    for (let round = 1; round <= rounds; round++) {
      // Each round starts with the next configuration: no configuration always runs first.
      for (const c of [...configs.slice((round - 1) % configs.length), ...configs.slice(0, (round - 1) % configs.length)]) {
        const before = received;
        const run = await runBench(c, dir, requests, concurrency);
        figures.get(c.name)!.push(run);
        console.log(`  round ${round}  ${c.name.padEnd(30)} ${run.rps.toFixed(0).padStart(7)} req/s  ${run.cpuUsPerRequest.toFixed(0).padStart(5)} µs CPU/request   OTLP bytes received ${received - before}`);
      }
    }
    const base = configs[0]!.name;
    const baseRps = median(figures.get(base)!.map((r) => r.rps));
    const baseCpu = median(figures.get(base)!.map((r) => r.cpuUsPerRequest));
    console.log(`\n${'median'.padEnd(32)} req/s  ratio   µs CPU/request  ratio   (load average now ${loadavg()[0]!.toFixed(1)})`);
    for (const c of configs) {
      const rps = median(figures.get(c.name)!.map((r) => r.rps));
      const cpu = median(figures.get(c.name)!.map((r) => r.cpuUsPerRequest));
      console.log(`  ${c.name.padEnd(30)} ${rps.toFixed(0).padStart(7)}  ${(rps / baseRps).toFixed(3)}   ${cpu.toFixed(0).padStart(13)}  ${(cpu / baseCpu).toFixed(3)}`);
    }
  } finally {
    sink.close();
    await rm(dir, { recursive: true, force: true });
  }
}

interface Run {
  rps: number;
  cpuUsPerRequest: number;
}

// The command runs in-process in the child, after its modules are loaded, between two CPU readings.
const MAIN = new URL('../src/cli/main.ts', import.meta.url).href;
const CHILD = `const { main } = await import(${JSON.stringify(MAIN)});
const t0 = process.cpuUsage();
const code = await main(process.argv.slice(1));
const cpu = process.cpuUsage(t0);
process.stdout.write(JSON.stringify({ code, cpuUs: cpu.user + cpu.system }) + '\\n');`;

async function runBench(c: Config, dir: string, requests: number, concurrency: number): Promise<Run> {
  const reportDir = join(dir, c.name.replace(/\W+/g, '-'));
  const args = ['--import', 'tsx', '--input-type=module', '-e', CHILD, 'bench', '-w', 'manifest.get', '-c', String(concurrency), '-n', String(requests), '--warmup', '0', '--format', 'json', '--report-dir', reportDir, '-q', ...c.args];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...c.env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
  await once(child, 'close');
  clearTimeout(timer);
  const result = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { code?: number; cpuUs?: number };
  if (result.code !== 0 || result.cpuUs === undefined) throw new Error(`${c.name}: regprobe bench failed (${out.trim() || 'no output'})`);
  const report = JSON.parse(await readFile(join(reportDir, 'bench.json'), 'utf8')) as BenchReport;
  const step = report.workloads[0]?.steps[0];
  if (!step) throw new Error(`${c.name}: no step in the report`);
  return { rps: step.opsPerSec, cpuUsPerRequest: result.cpuUs / step.operations };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

main().catch((err: unknown) => {
  console.error(`otel-overhead: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
