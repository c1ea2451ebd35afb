// deploy/kubernetes/bench-job.yaml: the documents parse, the Indexed Job and the merge Job agree on
// shard count, run id and volume, each pod's arguments are accepted by this regprobe as shard i of N,
// and the merge Job's shell steps really merge shard reports laid out as the pods write them.
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments } from 'yaml';
import yargs from 'yargs';
import { benchCommand, benchSettings, type BenchArgs } from '../../src/cli/bench-command.js';
import { parseBenchReport } from '../../src/report/bench-load.js';
import { sampleReport } from '../helpers/bench-report.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FILE = join(ROOT, 'deploy/kubernetes/bench-job.yaml');

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  env?: EnvVar[];
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  restartPolicy: string;
  containers: Container[];
  initContainers?: Container[];
  volumes: Array<{ name: string; persistentVolumeClaim?: { claimName: string } }>;
}
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: Record<string, unknown> & { template?: { spec: PodSpec } };
}

async function load(): Promise<Doc[]> {
  const docs = parseAllDocuments(await readFile(FILE, 'utf8'));
  if (!Array.isArray(docs)) throw new Error('no documents');
  for (const d of docs) if (d.errors.length) throw new Error(`YAML error: ${d.errors[0]!.message}`);
  return docs.map((d) => d.toJS() as Doc);
}

const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name)?.value;

/** $(VAR) as Kubernetes expands it in args, from the container's env plus the Job controller's index. */
function expand(s: string, vars: Record<string, string>): string {
  return s.replace(/\$\(([A-Z_][A-Z0-9_]*)\)/g, (m, v: string) => vars[v] ?? m);
}

t.test('the manifest parses and its parts agree', async (t) => {
  const docs = await load();
  t.same(docs.map((d) => `${d.kind}/${d.metadata.name}`), ['PersistentVolumeClaim/regprobe-reports', 'Job/regprobe-bench', 'Job/regprobe-merge']);
  const [pvc, bench, merge] = docs as [Doc, Doc, Doc];
  t.same(pvc.spec['accessModes'], ['ReadWriteMany'], 'pods on several nodes write to one volume');
  t.equal(bench.apiVersion, 'batch/v1');
  t.equal(bench.spec['completionMode'], 'Indexed');
  const n = bench.spec['completions'] as number;
  t.ok(n >= 2, 'several shards');
  t.equal(bench.spec['parallelism'], n, 'all shards run at once');
  const pod = bench.spec.template!.spec;
  t.equal(pod.restartPolicy, 'Never');
  const c = pod.containers[0]!;
  t.equal(envOf(c, 'REGPROBE_SHARD_COUNT'), String(n), 'the shard count is the number of completions');
  const mergePod = merge.spec.template!.spec;
  const wait = mergePod.initContainers![0]!;
  t.equal(envOf(wait, 'REGPROBE_SHARD_COUNT'), String(n), 'the merge waits for as many shards');
  t.equal(envOf(wait, 'RUN_ID'), envOf(c, 'RUN_ID'));
  t.equal(envOf(mergePod.containers[0]!, 'RUN_ID'), envOf(c, 'RUN_ID'), 'the merge reads the run the shards wrote');
  for (const p of [pod, mergePod]) {
    t.equal(p.volumes[0]!.persistentVolumeClaim!.claimName, pvc.metadata.name, 'every pod mounts the reports volume');
    for (const ct of [...p.containers, ...(p.initContainers ?? [])]) t.same(ct.volumeMounts, [{ name: p.volumes[0]!.name, mountPath: '/reports' }]);
  }
});

t.test("each pod's arguments are a valid `regprobe bench` run as shard i of N", async (t) => {
  const docs = await load();
  const bench = docs[1]!;
  const n = bench.spec['completions'] as number;
  const c = bench.spec.template!.spec.containers[0]!;
  const dirs = new Set<string>();
  const totals: number[][] = [];
  for (let i = 0; i < n; i++) {
    const env: Record<string, string> = { JOB_COMPLETION_INDEX: String(i), RUN_ID: envOf(c, 'RUN_ID')!, REGPROBE_SHARD_COUNT: envOf(c, 'REGPROBE_SHARD_COUNT')! };
    const args = c.args!.map((a) => expand(a, env));
    t.equal(args[0], 'bench');
    // Parsed by the real command's options; the handler is replaced so that nothing runs.
    let argv: BenchArgs | undefined;
    await yargs(args)
      .command({ command: benchCommand.command!, describe: false, builder: benchCommand.builder!, handler: (a) => void (argv = a as unknown as BenchArgs) })
      .strict()
      .exitProcess(false)
      .fail((msg, err) => {
        throw err ?? new Error(msg);
      })
      .parseAsync();
    const s = benchSettings(argv!, env);
    t.same(s.shard, { index: i, count: n }, `pod ${i} runs shard ${i}/${n}`);
    t.equal(s.reportDir, `/reports/run-1/shard-${i}`);
    dirs.add(s.reportDir);
    s.plan.forEach((e, k) => {
      totals[k] ??= e.steps.map(() => 0);
      e.steps.forEach((st, j) => (totals[k]![j]! += st.kind === 'closed' ? st.concurrency : 0));
    });
  }
  t.equal(dirs.size, n, 'every shard writes to its own directory');
  t.ok(totals.length > 10, 'the standard profile');
  t.ok(totals.every((steps) => JSON.stringify(steps) === '[8,32]'), 'the shards together run the steps asked for');
});

t.test("the merge Job's steps merge shard reports written as the pods write them", async (t) => {
  const docs = await load();
  const n = docs[1]!.spec['completions'] as number;
  const mergePod = docs[2]!.spec.template!.spec;
  const tmp = await mkdtemp(join(tmpdir(), 'regprobe-k8s-'));
  t.teardown(() => rm(tmp, { recursive: true, force: true }));
  const reports = join(tmp, 'reports');
  for (let i = 0; i < n; i++) {
    await mkdir(join(reports, 'run-1', `shard-${i}`), { recursive: true });
    await writeFile(join(reports, 'run-1', `shard-${i}`, 'bench.json'), JSON.stringify(sampleReport(i + 1, 1, { shard: { index: i, count: n } })));
  }
  // `regprobe` on PATH: this checkout's CLI.
  const bin = join(tmp, 'bin');
  await mkdir(bin);
  const main = pathToFileURL(join(ROOT, 'src/cli/main.ts')).href;
  await writeFile(join(bin, 'regprobe'), `#!/bin/sh\nexec "${process.execPath}" --import tsx --input-type=module -e 'const { main } = await import("${main}"); process.exitCode = await main(process.argv.slice(1));' "$@"\n`);
  await chmod(join(bin, 'regprobe'), 0o755);

  const run = (ct: Container): Promise<{ code: number | null; stderr: string }> =>
    new Promise((resolve, reject) => {
      const [sh, flag, script] = ct.command!;
      const env: Record<string, string> = { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: tmp, NO_COLOR: '1' };
      for (const e of ct.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
      const child = spawn(sh!, [flag!, script!.replaceAll('/reports', reports)], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });

  const waited = await run(mergePod.initContainers![0]!);
  t.equal(waited.code, 0, `the wait step sees ${n} reports at once: ${waited.stderr}`);
  const merged = await run(mergePod.containers[0]!);
  t.equal(merged.code, 0, merged.stderr || 'merge exit 0');
  t.ok((await readdir(join(reports, 'run-1'))).includes('merged.json'));
  const m = parseBenchReport(await readFile(join(reports, 'run-1', 'merged.json'), 'utf8'));
  t.same(m.shard, { merged: n });
});
