// Is regprobe's load driver the bottleneck? Measures it against wrk (Debian's wrk 4.1) on the same
// two request shapes in the same run: a manifest GET by tag and a 64 MiB blob GET, served by the
// reference registry in its own process (so neither load generator shares a thread with it).
// Rounds alternate wrk and regprobe; the medians and the ratios are printed.
// Targets: regprobe >= 0.8x wrk's req/s (manifest) and >= 0.9x wrk's MB/s (blob), doing the same work
// as wrk: the blob is read without hashing. Verifying every byte (blob.get's default) is measured
// too and printed apart: it is work wrk does not do, bounded by sha256 speed per core.
//
// Run: npx tsx bench/driver-vs-wrk.ts [--duration 5] [--rounds 3] [--connections 16]
//        [--blob-connections 1,4] [--blob-duration 10] [--threads 1] [--no-pin]
// A 64 MiB GET takes long: the blob shape uses fewer connections and a longer window, so each
// measurement completes enough requests to mean something (both tools count completed requests).
//
// Notes: wrk 4.1 cannot time HEAD (it waits for a body), so only GETs are compared; a Lua
// response() callback makes wrk copy every body, so none is used. regprobe verifies each manifest
// and (by default) hashes every blob byte; the blob is also measured without hashing, to show what
// the verification costs.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { RegistryClient } from '../src/client/registry-client.js';
import { createLoadDispatcher } from '../src/client/load-dispatcher.js';
import { ACCEPT_MANIFESTS } from '../src/client/operations.js';
import { ContentFactory } from '../src/conformance/fixtures.js';
import { Cleanup } from './cleanup.js';
import { StepRecorder } from './aggregate.js';
import { runClosedLoop } from './drivers/closed-loop.js';
import { findWorkload } from './workloads/index.js';
import { makeImageContent, pushImage } from './workloads/common.js';
import type { PreparedWorkload, WorkloadEnv } from './workload.js';

const run = promisify(execFile);
const MiB = 1024 * 1024;

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    connections: { type: 'string', default: '16' },
    'blob-connections': { type: 'string', default: '1,4' },
    'blob-duration': { type: 'string', default: '10' },
    threads: { type: 'string', default: '1' },
    // Pin the server to CPU 0 and the load generators to the others, so both tools get the same
    // cores and the server never shares one with them (steadier figures on a small machine).
    'no-pin': { type: 'boolean', default: false },
  },
});
const durationS = Number(opts.duration);
const rounds = Number(opts.rounds);
const connections = Number(opts.connections);
const threads = Number(opts.threads);
const blobConnections = opts['blob-connections']!.split(',').map(Number);
const blobDurationS = Number(opts['blob-duration']);
const cores = cpus().length;
const pinned = !opts['no-pin'] && cores >= 2;
const serverCpus = '0';
const loadCpus = cores > 2 ? `1-${cores - 1}` : '1';
/** Runs `cmd args` on the load generators' CPUs when pinning. */
const onLoadCpus = (cmd: string): string => (pinned ? `taskset -c ${loadCpus} ${cmd}` : cmd);

interface Shape {
  connections: number;
  durationS: number;
}
const MANIFEST: Shape = { connections, durationS };
const BLOBS: Shape[] = blobConnections.map((c) => ({ connections: c, durationS: blobDurationS }));

/** The reference registry in a child process; resolves with its URL. */
async function startServerProcess(): Promise<{ url: string; child: ChildProcess }> {
  const server = pathToFileURL(fileURLToPath(new URL('../reference-server/server.ts', import.meta.url))).href;
  const script = `const { startReferenceServer } = await import(${JSON.stringify(server)});
const s = await startReferenceServer({ port: 0 });
process.stdout.write(s.url + '\\n');
const stop = () => s.close().then(() => process.exit(0));
process.on('SIGTERM', stop); process.on('SIGINT', stop);`;
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', script];
  const [cmd, ...args] = pinned ? ['taskset', '-c', serverCpus, ...node] : node;
  const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the reference registry did not start within 30 s')), 30_000);
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
  return { url, child };
}

interface Figures {
  reqPerSec: number;
  mbPerSec: number;
  /** Load generator CPU (user + system, all threads) per request, µs: what the tool itself costs. */
  cpuUsPerReq: number;
  /** regprobe only: time its main thread (the one reading sockets) was busy per request, µs. */
  mainUsPerReq?: number;
}

/** wrk's Requests/sec; MB/s from requests x body size (wrk's Transfer/sec also counts headers). */
async function wrk(shape: Shape, url: string, bodyBytes: number, headers: string[]): Promise<Figures> {
  const args = [`-t${Math.min(threads, shape.connections)}`, `-c${shape.connections}`, `-d${shape.durationS}s`, '--timeout', '60s', ...headers.flatMap((h) => ['-H', h]), url];
  // bash's `time` reports the CPU wrk used (user and system seconds) on stderr.
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const { stdout, stderr } = await run('bash', ['-c', `TIMEFORMAT='%U %S'; time ${onLoadCpus('wrk')} ${quoted}`], { timeout: (shape.durationS + 60) * 1000 });
  const cpu = /([\d.]+) ([\d.]+)\s*$/.exec(stderr);
  const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
  if (!m) throw new Error(`cannot read wrk's output:\n${stdout}`);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(stdout);
  if (errors) throw new Error(`wrk saw errors: ${errors[0]}`);
  const reqPerSec = Number(m[1]);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? 0);
  const cpuUs = cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1e6 : NaN;
  return { reqPerSec, mbPerSec: (reqPerSec * bodyBytes) / 1e6, cpuUsPerReq: requests ? cpuUs / requests : NaN };
}

async function regprobe(shape: Shape, w: PreparedWorkload): Promise<Figures> {
  const rec = new StepRecorder({ kind: 'closed', concurrency: shape.connections }, 1000);
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  await runClosedLoop(w, { concurrency: shape.connections, warmupMs: 1000, durationMs: shape.durationS * 1000, maxMs: (shape.durationS + 120) * 1000 }, rec);
  const cpu = process.cpuUsage(cpu0);
  const elu = performance.eventLoopUtilization(elu0);
  const s = rec.finish();
  if (s.errors) throw new Error(`regprobe saw ${s.errors} errors: ${JSON.stringify(s.errorDetail)}`);
  // Over warm-up + window, per request in both (close enough: warm-up runs at the same pace).
  const requests = s.ok * (1 + 1000 / (shape.durationS * 1000));
  return { reqPerSec: s.opsPerSec, mbPerSec: s.bytesPerSec / 1e6, cpuUsPerReq: (cpu.user + cpu.system) / requests, mainUsPerReq: (elu.active * 1000) / requests };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function main(): Promise<void> {
  await run('wrk', ['--version']).catch((err: { stdout?: string; code?: string }) => {
    // wrk --version exits 1 after printing its version.
    if (err.code === 'ENOENT') throw new Error('wrk is not installed (apt-get install wrk)');
  });
  if (pinned) {
    // This process (all its threads; workers started later inherit it) runs where wrk runs.
    await run('taskset', ['-a', '-p', '-c', loadCpus, String(process.pid)]).catch(() => {
      throw new Error('taskset failed (util-linux); run with --no-pin');
    });
  }
  const { url, child } = await startServerProcess();
  const dispatcher = createLoadDispatcher({});
  const client = new RegistryClient({ baseUrl: url, timeoutMs: 60_000 }, dispatcher);
  try {
    // One image with a 64 MiB layer, pushed once; then the workloads run read-only against it
    // (manifest.get by tag, blob.get of its largest layer) and wrk GETs the same two URLs.
    const content = new ContentFactory();
    const seedEnv: WorkloadEnv = { client, namespace: 'driver-vs-wrk', readOnly: false, content, newClient: () => client, cleanup: new Cleanup(false) };
    const img = await makeImageContent(content, [64 * MiB]);
    await pushImage(seedEnv, client, 'driver-vs-wrk/image', img, { tag: 'bench' });
    const env: WorkloadEnv = { ...seedEnv, readOnly: true, existing: { repo: 'driver-vs-wrk/image', tag: 'bench' } };
    const manifestGet = await findWorkload('manifest.get')!.setup(env, { by: 'tag' });
    const blobVerified = await findWorkload('blob.get')!.setup(env, { verify: true });
    const blobDigest = img.layers[0]!.digest;
    const blobNoHash = await findWorkload('blob.get')!.setup(env, { verify: false });
    const base = url.replace(/\/$/, '');
    const manifestUrl = `${base}/v2/driver-vs-wrk/image/manifests/bench`;
    const blobUrl = `${base}/v2/driver-vs-wrk/image/blobs/${blobDigest}`;
    const manifestBytes = img.manifest.length;

    console.log(`driver vs wrk: manifest ${connections} connections x ${durationS} s, 64 MiB blob ${blobConnections.join(' and ')} connections x ${blobDurationS} s, wrk -t${threads}, ${rounds} rounds; server ${url} in its own process${pinned ? `, pinned to CPU ${serverCpus}; wrk and regprobe on CPU ${loadCpus}` : ''}`);
    console.log(`machine: ${cpus()[0]?.model.trim()} x${cpus().length}, Node ${process.version}`);
    const results: Record<string, Figures[]> = {};
    const add = (k: string, f: Figures) => (results[k] ??= []).push(f);
    for (let r = 0; r < rounds; r++) {
      add('wrk manifest', await wrk(MANIFEST, manifestUrl, manifestBytes, [`Accept: ${ACCEPT_MANIFESTS}`]));
      add('regprobe manifest', await regprobe(MANIFEST, manifestGet));
      for (const b of BLOBS) {
        add(`wrk blob c${b.connections}`, await wrk(b, blobUrl, 64 * MiB, []));
        add(`regprobe blob c${b.connections}`, await regprobe(b, blobVerified));
        add(`regprobe blob c${b.connections} (no hash)`, await regprobe(b, blobNoHash));
      }
      console.log(`round ${r + 1} (load ${loadavg()[0]!.toFixed(1)}): ${Object.entries(results).map(([k, v]) => `${k} ${v.at(-1)!.reqPerSec.toFixed(0)} req/s ${v.at(-1)!.mbPerSec.toFixed(0)} MB/s ${v.at(-1)!.cpuUsPerReq.toFixed(0)} µs CPU/req`).join('; ')}`);
    }
    const med = (k: string, f: keyof Figures) => median(results[k]!.map((x) => x[f] ?? NaN));
    console.log('');
    // A ratio is taken within each round (wrk and regprobe measured minutes apart at most) and the
    // median of those is reported: steadier than a ratio of medians when the machine's load drifts.
    const pairedRatio = (wk: string, pk: string, f: keyof Figures) => median(results[pk]!.map((x, i) => (x[f] ?? NaN) / (results[wk]![i]![f] ?? NaN)));
    console.log('shape (same work in both tools)        wrk (median)     regprobe (median)   ratio   target');
    const line = (name: string, wk: string, pk: string, f: keyof Figures, unit: string, target?: number) => {
      const r = pairedRatio(wk, pk, f);
      const verdict = target === undefined ? '(not comparable: extra work)' : `>= ${target}x ${r >= target ? 'met' : 'NOT met'}`;
      console.log(`${name.padEnd(39)}${`${med(wk, f).toFixed(0)} ${unit}`.padEnd(17)}${`${med(pk, f).toFixed(0)} ${unit}`.padEnd(20)}${r.toFixed(2)}x   ${verdict}`);
    };
    line(`manifest GET, ${connections} conns`, 'wrk manifest', 'regprobe manifest', 'reqPerSec', 'req/s', 0.8);
    for (const b of BLOBS) {
      line(`64 MiB blob GET, ${b.connections} conn${b.connections === 1 ? '' : 's'}`, `wrk blob c${b.connections}`, `regprobe blob c${b.connections} (no hash)`, 'mbPerSec', 'MB/s', 0.9);
    }
    console.log('regprobe also verifying sha256 (blob.get verify=true, the default; wrk cannot):');
    for (const b of BLOBS) {
      line(`  64 MiB blob GET, ${b.connections} conn${b.connections === 1 ? '' : 's'}, verified`, `wrk blob c${b.connections}`, `regprobe blob c${b.connections}`, 'mbPerSec', 'MB/s');
    }
    console.log('');
    console.log(`load generator CPU per request (median): manifest wrk ${med('wrk manifest', 'cpuUsPerReq').toFixed(0)} µs, regprobe ${med('regprobe manifest', 'cpuUsPerReq').toFixed(0)} µs`);
    for (const b of BLOBS) {
      const ms = (k: string) => (med(k, 'cpuUsPerReq') / 1000).toFixed(1);
      const main = (k: string) => (med(k, 'mainUsPerReq') / 1000).toFixed(1);
      console.log(`  64 MiB blob, ${b.connections} conn: wrk ${ms(`wrk blob c${b.connections}`)} ms, regprobe ${ms(`regprobe blob c${b.connections}`)} ms (${ms(`regprobe blob c${b.connections} (no hash)`)} ms without hashing)`);
      console.log(`    regprobe's main thread busy per blob: ${main(`regprobe blob c${b.connections}`)} ms verified (hashing ${availableParallelism() > 1 ? 'on worker threads' : 'inline: this process has one core'}), ${main(`regprobe blob c${b.connections} (no hash)`)} ms without hashing`);
    }
    console.log(`load average at the end: ${loadavg().map((x) => x.toFixed(1)).join(' ')} (other processes on this machine compete for its ${cpus().length} cores)`);
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
