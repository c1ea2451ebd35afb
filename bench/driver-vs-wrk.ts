// Is regprobe's load generator the bottleneck? Measures `regprobe bench` against wrk (Debian's 4.1) and
// autocannon (the devDependency) on the same request shapes, same target, in the same rounds (the
// tools' order rotates each round), each tool run as users run it: its own process, unpinned.
// The reference registry runs in its own process (log off).
//
// Two figures per tool and shape:
// - CPU per request: the load generator process's own CPU time (user + system, all its threads) per
//   completed request over a steady window: (CPU of a long run - CPU of a short run) / (requests of
//   the long run - requests of the short run), so start-up, module loading and warm-up cancel out.
//   It is what a tool costs per request, and hardly depends on how busy the machine is.
// - Throughput over the same steady window ((requests of the long run - of the short run) / (long -
//   short) seconds; blob shapes: the long run's own figure), unpinned (server and tool share the
//   cores, as on a laptop or CI): the lighter client leaves the server more CPU and measures more.
// Ratios are taken within each round and their median is printed (steadier than a ratio of medians
// when the machine's load drifts). Blob shapes read without hashing (blob.get verify=false): wrk does
// not hash either.
//
// Run: npm run bench:driver -- [--rounds 3] [--short 2] [--long 8] [--connections 16]
//        [--blob-duration 10] [--shapes manifest.get,...] [--pin]
// --pin: server on CPU 0, load generators on the others (the server is then the limit on 2 cores,
// and only CPU per request tells the tools apart).
// Last, on 3 or more cores, regprobe's manifest GET with --workers 1 against --workers auto.
//
// Notes: neither wrk 4.1 nor autocannon 9 can time HEAD (both wait for the body that the answer's
// Content-Length announces and a HEAD answer never carries), so HEAD has regprobe's figures only.
// autocannon reads each body through its HTTP parser in JavaScript: on 64 MiB blobs it manages a
// handful of requests, so that shape compares regprobe with wrk only.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { RegistryClient } from '../src/client/registry-client.js';
import { createLoadDispatcher } from '../src/client/load-dispatcher.js';
import { ACCEPT_MANIFESTS } from '../src/client/operations.js';
import { ContentFactory } from '../src/conformance/fixtures.js';
import { Cleanup } from './cleanup.js';
import { makeImageContent, pushImage } from './workloads/common.js';
import type { WorkloadEnv } from './workload.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    short: { type: 'string', default: '3' },
    long: { type: 'string', default: '9' },
    connections: { type: 'string', default: '16' },
    'blob-duration': { type: 'string', default: '10' },
    shapes: { type: 'string' },
    pin: { type: 'boolean', default: false },
  },
});
const rounds = Number(opts.rounds);
const shortS = Number(opts.short);
const longS = Number(opts.long);
const connections = Number(opts.connections);
const blobS = Number(opts['blob-duration']);
const cores = cpus().length;
const pinned = opts.pin && cores >= 2;
const loadCpus = cores > 2 ? `1-${cores - 1}` : '1';

type Tool = 'wrk' | 'autocannon' | 'regprobe';
const TOOLS: readonly Tool[] = ['wrk', 'autocannon', 'regprobe'];

interface Shape {
  id: string;
  title: string;
  method: 'GET' | 'HEAD';
  /** Path on the registry (filled after seeding). */
  path: () => string;
  headers: Record<string, string>;
  /** regprobe's workload and parameters. */
  workload: string;
  params: string[];
  /** --tag of the read-only regprobe run (which image). */
  image: 'small' | 'blob1' | 'blob64';
  connections: number;
  /** Payload bytes per request (MB/s = req/s x this). */
  bodyBytes: () => number;
  /** CPU per request measured (long - short run); else the long run's throughput only. */
  cpu: boolean;
  tools: readonly Tool[];
  /** Goals of issue 13: regprobe / tool ratio bounds. */
  goals: { cpu?: Partial<Record<Tool, number>>; throughput?: Partial<Record<Tool, number>> };
  unit: 'req/s' | 'MB/s';
}

interface Figures {
  requests: number;
  /** CPU seconds (user + system) of the tool's process and its children. */
  cpuS: number;
  reqPerSec: number;
}

/** `cmd args` under bash's `time`, returning stdout and the CPU seconds it used (user + system). */
async function timed(cmd: string[], timeoutS: number): Promise<{ stdout: string; cpuS: number }> {
  const full = pinned ? ['taskset', '-c', loadCpus, ...cmd] : cmd;
  const quoted = full.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const { stdout, stderr } = await run('bash', ['-c', `TIMEFORMAT='%U %S'; time ${quoted}`], { cwd: ROOT, timeout: timeoutS * 1000, maxBuffer: 64 * MiB });
  const m = /([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  if (!m) throw new Error(`no CPU time from bash's time for ${cmd[0]}: ${stderr.slice(-300)}`);
  return { stdout, cpuS: Number(m[1]) + Number(m[2]) };
}

async function wrk(shape: Shape, base: string, seconds: number): Promise<Figures> {
  const headers = Object.entries(shape.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const { stdout, cpuS } = await timed(['wrk', '-t1', `-c${shape.connections}`, `-d${seconds}s`, '--timeout', '60s', ...headers, base + shape.path()], seconds + 60);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  const n = /(\d+) requests in/.exec(stdout);
  if (!rps || !n) throw new Error(`cannot read wrk's output:\n${stdout}`);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout);
  if (errors) throw new Error(`wrk saw errors: ${errors[0]}`);
  return { requests: Number(n[1]), cpuS, reqPerSec: Number(rps[1]) };
}

async function autocannon(shape: Shape, base: string, seconds: number): Promise<Figures> {
  const headers = Object.entries(shape.headers).flatMap(([k, v]) => ['-H', `${k}=${v}`]);
  const bin = join(ROOT, 'node_modules/autocannon/autocannon.js');
  const { stdout, cpuS } = await timed([process.execPath, bin, '-j', '-n', '-c', String(shape.connections), '-d', String(seconds), '-t', '60', '-m', shape.method, ...headers, base + shape.path()], seconds + 60);
  const r = JSON.parse(stdout) as { requests: { total: number }; duration: number; non2xx: number; errors: number; timeouts: number };
  if (r.non2xx || r.errors || r.timeouts) throw new Error(`autocannon saw ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  if (!r.requests.total) throw new Error(`autocannon completed no request on ${shape.id}`);
  return { requests: r.requests.total, cpuS, reqPerSec: r.requests.total / r.duration };
}

/** `regprobe bench` as a user runs it (from source here: the fixed start-up cost cancels out). */
async function regprobe(shape: Shape, base: string, seconds: number, tags: Record<Shape['image'], string>, extra: string[] = []): Promise<Figures> {
  const dir = mkdtempSync(join(tmpdir(), 'driver-vs-wrk-'));
  try {
    const cli = pathToFileURL(join(ROOT, 'src/cli/main.ts')).href;
    const script = `const { main } = await import(${JSON.stringify(cli)}); process.exitCode = await main(process.argv.slice(1));`;
    const args = ['bench', base, '-w', shape.workload, '-c', String(shape.connections), '-d', `${seconds}s`, '--warmup', '0', '--read-only', '--tag', tags[shape.image], '--format', 'json', '--report-dir', dir, '--quiet', ...shape.params.flatMap((p) => ['--param', p]), ...extra];
    const { cpuS } = await timed([process.execPath, '--import', 'tsx', '--input-type=module', '-e', script, ...args], seconds + 120);
    const report = JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8')) as { workloads: Array<{ steps: Array<{ ok: number; errors: number; opsPerSec: number; errorDetail: unknown }> }> };
    const step = report.workloads[0]?.steps[0];
    if (!step) throw new Error('regprobe bench wrote no step');
    if (step.errors) throw new Error(`regprobe saw ${step.errors} errors: ${JSON.stringify(step.errorDetail)}`);
    return { requests: step.ok, cpuS, reqPerSec: step.opsPerSec };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The reference registry in a child process (no request log); resolves with its URL. */
async function startServerProcess(): Promise<{ url: string; child: ChildProcess }> {
  const server = pathToFileURL(join(ROOT, 'reference-server/server.ts')).href;
  const script = `const { startReferenceServer } = await import(${JSON.stringify(server)});
const s = await startReferenceServer({ port: 0 });
process.stdout.write(s.url + '\\n');
const stop = () => s.close().then(() => process.exit(0));
process.on('SIGTERM', stop); process.on('SIGINT', stop);`;
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
  const [cmd, ...args] = pinned ? ['taskset', '-c', '0', ...node] : node;
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the reference registry did not start within 60 s')), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.on('exit', (code) => reject(new Error(`the reference registry exited (${code})`)));
  });
  return { url: url.replace(/\/$/, ''), child };
}

function median(xs: number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function main(): Promise<void> {
  await run('wrk', ['--version']).catch((err: { code?: string }) => {
    // wrk --version exits 1 after printing its version.
    if (err.code === 'ENOENT') throw new Error('wrk is not installed (apt-get install wrk)');
  });
  const { url, child } = await startServerProcess();
  const dispatcher = createLoadDispatcher({});
  const client = new RegistryClient({ baseUrl: url, timeoutMs: 60_000 }, dispatcher);
  try {
    // Three images, pushed once: a small one (manifest, tags, ping shapes) and one per blob size.
    const content = new ContentFactory();
    const env: WorkloadEnv = { client, namespace: 'driver-vs-wrk', readOnly: false, content, newClient: () => client, cleanup: new Cleanup(false) };
    const small = await makeImageContent(content, [1024]);
    const blob1 = await makeImageContent(content, [MiB]);
    const blob64 = await makeImageContent(content, [64 * MiB]);
    await pushImage(env, client, 'driver-vs-wrk/small', small, { tag: 'bench' });
    await pushImage(env, client, 'driver-vs-wrk/blob1', blob1, { tag: 'bench' });
    await pushImage(env, client, 'driver-vs-wrk/blob64', blob64, { tag: 'bench' });
    const tags = { small: 'driver-vs-wrk/small:bench', blob1: 'driver-vs-wrk/blob1:bench', blob64: 'driver-vs-wrk/blob64:bench' };
    const smallGoals = { cpu: { autocannon: 1.0, wrk: 1.25 } };
    const shapes: Shape[] = [
      { id: 'manifest.get', title: 'manifest GET by tag', method: 'GET', path: () => '/v2/driver-vs-wrk/small/manifests/bench', headers: { accept: ACCEPT_MANIFESTS }, workload: 'manifest.get', params: ['by=tag'], image: 'small', connections, bodyBytes: () => small.manifest.length, cpu: true, tools: TOOLS, goals: { ...smallGoals, throughput: { autocannon: 1.0, wrk: 0.8 } }, unit: 'req/s' },
      { id: 'manifest.head', title: 'manifest HEAD by tag', method: 'HEAD', path: () => '/v2/driver-vs-wrk/small/manifests/bench', headers: { accept: ACCEPT_MANIFESTS }, workload: 'manifest.head', params: ['by=tag'], image: 'small', connections, bodyBytes: () => 0, cpu: true, tools: ['regprobe'], goals: smallGoals, unit: 'req/s' },
      { id: 'tags.list', title: 'tags/list', method: 'GET', path: () => '/v2/driver-vs-wrk/small/tags/list', headers: {}, workload: 'tags.list', params: [], image: 'small', connections, bodyBytes: () => 0, cpu: true, tools: TOOLS, goals: smallGoals, unit: 'req/s' },
      { id: 'ping', title: 'ping (GET /v2/)', method: 'GET', path: () => '/v2/', headers: {}, workload: 'ping', params: [], image: 'small', connections, bodyBytes: () => 0, cpu: true, tools: TOOLS, goals: smallGoals, unit: 'req/s' },
      { id: 'blob.1MiB', title: '1 MiB blob GET (verify=false)', method: 'GET', path: () => `/v2/driver-vs-wrk/blob1/blobs/${blob1.layers[0]!.digest}`, headers: {}, workload: 'blob.get', params: ['verify=false'], image: 'blob1', connections, bodyBytes: () => MiB, cpu: false, tools: TOOLS, goals: { throughput: { wrk: 0.9 } }, unit: 'MB/s' },
      { id: 'blob.64MiB', title: '64 MiB blob GET (verify=false), 4 conns', method: 'GET', path: () => `/v2/driver-vs-wrk/blob64/blobs/${blob64.layers[0]!.digest}`, headers: {}, workload: 'blob.get', params: ['verify=false'], image: 'blob64', connections: 4, bodyBytes: () => 64 * MiB, cpu: false, tools: ['wrk', 'regprobe'], goals: { throughput: { wrk: 0.9 } }, unit: 'MB/s' },
      // blob.get's default: every byte hashed (sha256) and compared, work neither other tool does.
      { id: 'blob.64MiB.verified', title: '64 MiB blob GET, verified (default), 4 conns', method: 'GET', path: () => `/v2/driver-vs-wrk/blob64/blobs/${blob64.layers[0]!.digest}`, headers: {}, workload: 'blob.get', params: ['verify=true'], image: 'blob64', connections: 4, bodyBytes: () => 64 * MiB, cpu: false, tools: ['regprobe'], goals: {}, unit: 'MB/s' },
    ];
    const only = opts.shapes?.split(',');
    const selected = only ? shapes.filter((s) => only.includes(s.id)) : shapes;
    if (!selected.length) throw new Error(`--shapes: none of ${only!.join(', ')} (choose from ${shapes.map((s) => s.id).join(', ')})`);

    console.log(`regprobe vs autocannon vs wrk: ${rounds} rounds, tools alternating (order rotated each round); small shapes ${connections} connections, CPU per request over ${longS} s - ${shortS} s runs; blob shapes ${blobS} s; server ${url} in its own process${pinned ? ', pinned to CPU 0, load generators on CPU ' + loadCpus : ', nothing pinned'}`);
    console.log(`machine: ${cpus()[0]?.model.trim()} x${cores}, Node ${process.version}, load average at start ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
    const runTool = (tool: Tool, shape: Shape, seconds: number): Promise<Figures> =>
      tool === 'wrk' ? wrk(shape, url, seconds) : tool === 'autocannon' ? autocannon(shape, url, seconds) : regprobe(shape, url, seconds, tags);
    /** Per shape, tool: per round, µs of CPU per request and throughput of the long run. */
    const cpuUs: Record<string, number[]> = {};
    const tput: Record<string, number[]> = {};
    const loads: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const shape of selected) {
        const order = shape.tools.map((_, i) => shape.tools[(i + r) % shape.tools.length]!);
        const line: string[] = [];
        for (const tool of order) {
          const k = `${shape.id} ${tool}`;
          if (shape.cpu) {
            const s = await runTool(tool, shape, shortS);
            const l = await runTool(tool, shape, longS);
            const us = ((l.cpuS - s.cpuS) * 1e6) / (l.requests - s.requests);
            (cpuUs[k] ??= []).push(us);
            const rate = (l.requests - s.requests) / (longS - shortS);
            (tput[k] ??= []).push(rate);
            line.push(`${tool} ${us.toFixed(1)} µs/req ${rate.toFixed(0)} req/s`);
          } else {
            const l = await runTool(tool, shape, blobS);
            (tput[k] ??= []).push((l.reqPerSec * shape.bodyBytes()) / 1e6);
            line.push(`${tool} ${((l.reqPerSec * shape.bodyBytes()) / 1e6).toFixed(0)} MB/s`);
          }
        }
        loads.push(loadavg()[0]!);
        console.log(`round ${r + 1} ${shape.id} (load ${loadavg()[0]!.toFixed(1)}): ${line.join('; ')}`);
      }
    }

    // One table: per shape, CPU per request and throughput, the three tools, regprobe's ratios.
    const rows: string[][] = [['shape', 'figure', 'wrk', 'autocannon', 'regprobe', 'regprobe/wrk', 'regprobe/autocannon', 'goal']];
    const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '-');
    const ratio = (m: Record<string, number[]>, shape: Shape, tool: Tool): number => {
      const a = m[`${shape.id} regprobe`];
      const b = m[`${shape.id} ${tool}`];
      return a && b ? median(a.map((x, i) => x / b[i]!)) : NaN;
    };
    const verdicts: string[] = [];
    const goalText = (shape: Shape, kind: 'cpu' | 'throughput', m: Record<string, number[]>): string => {
      const g = shape.goals[kind];
      if (!g) return '';
      return Object.entries(g)
        .map(([tool, bound]) => {
          const r = ratio(m, shape, tool as Tool);
          const met = kind === 'cpu' ? r <= bound : r >= bound;
          if (!Number.isFinite(r)) return `${kind === 'cpu' ? '<=' : '>='} ${bound}x ${tool}: not measured`;
          verdicts.push(met ? 'met' : 'NOT met');
          return `${kind === 'cpu' ? '<=' : '>='} ${bound}x ${tool} ${met ? 'met' : 'NOT met'}`;
        })
        .join('; ');
    };
    for (const shape of selected) {
      const cell = (m: Record<string, number[]>, tool: Tool, d: number) => (shape.tools.includes(tool) ? fmt(median(m[`${shape.id} ${tool}`] ?? []), d) : tool !== 'regprobe' && shape.method === 'HEAD' ? 'n/a: no HEAD' : tool !== 'regprobe' && shape.params.includes('verify=true') ? 'n/a: no hashing' : 'not run');
      if (shape.cpu) {
        rows.push([shape.title, 'CPU µs/request', cell(cpuUs, 'wrk', 1), cell(cpuUs, 'autocannon', 1), cell(cpuUs, 'regprobe', 1), fmt(ratio(cpuUs, shape, 'wrk'), 2), fmt(ratio(cpuUs, shape, 'autocannon'), 2), goalText(shape, 'cpu', cpuUs)]);
      }
      rows.push([shape.cpu ? '' : shape.title, `${shape.unit}, ${pinned ? 'pinned' : 'unpinned'}`, cell(tput, 'wrk', 0), cell(tput, 'autocannon', 0), cell(tput, 'regprobe', 0), fmt(ratio(tput, shape, 'wrk'), 2), fmt(ratio(tput, shape, 'autocannon'), 2), goalText(shape, 'throughput', tput)]);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    console.log('');
    for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
    console.log('');
    console.log('medians of the rounds; ratios are medians of per-round ratios. CPU µs/request: the tool process\'s user + system time over a steady window (long run - short run), so start-up and warm-up are excluded.');
    console.log(`goals: ${verdicts.filter((v) => v === 'met').length} of ${verdicts.length} met; load average during the rounds ${fmt(Math.min(...loads), 1)}-${fmt(Math.max(...loads), 1)} (other processes share the ${cores} cores; CPU per request depends little on it, throughput a lot)`);

    // 1 worker against N (--workers auto = cores - 1): only where a second load core exists beside
    // the server's; on 2 cores auto is 1 worker and a second one would only take the server's CPU.
    const manifest = shapes[0]!;
    const autoWorkers = Math.max(1, cores - 1);
    if (autoWorkers < 2) {
      console.log(`1 worker vs N: not measured: this machine has ${cores} cores, so --workers auto (cores - 1) is 1 worker; the row needs 3 or more cores.`);
    } else {
      const w: Record<string, number[]> = {};
      for (let r = 0; r < rounds; r++) {
        for (const n of r % 2 ? [autoWorkers, 1] : [1, autoWorkers]) (w[n] ??= []).push((await regprobe(manifest, url, longS, tags, ['--workers', String(n)])).reqPerSec);
      }
      console.log(`1 worker vs ${autoWorkers} (--workers auto), ${manifest.title}, ${connections} connections, ${longS} s, medians of ${rounds} rounds: ${fmt(median(w[1]!), 0)} vs ${fmt(median(w[autoWorkers]!), 0)} req/s (${fmt(median(w[autoWorkers]!.map((x, i) => x / w[1]![i]!)), 2)}x)`);
    }
  } finally {
    await client.close();
    await dispatcher.close();
    child.kill('SIGTERM');
  }
}

main().catch((err: unknown) => {
  console.error(`driver-vs-wrk: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
