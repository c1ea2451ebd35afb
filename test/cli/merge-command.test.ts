// `regprobe merge`: the command as a user runs it (exit codes, one-line errors, no partial output).
import t from 'tap';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli-child.js';
import { sampleReport } from '../helpers/bench-report.js';
import { parseBenchReport } from '../../src/report/bench-load.js';
import { runMerge } from '../../src/cli/merge-command.js';
import { CliError } from '../../src/cli/exit.js';

/** In-process run for the error cases (a child process per case would make the test slow). */
async function mergeError(args: { out: string; reports: string[] }): Promise<string> {
  try {
    await runMerge({ ...args, allowPartial: false, quiet: true });
  } catch (err) {
    if (err instanceof CliError && err.exitCode === 2) return err.message;
    throw err;
  }
  throw new Error('merge succeeded');
}

t.test('merge writes the merged report; mismatches and bad files exit 2 with one line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-merge-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const paths: string[] = [];
  for (const i of [0, 1, 2]) {
    const p = join(dir, `shard-${i}.json`);
    await writeFile(p, JSON.stringify(sampleReport(100 + i, 1, { shard: { index: i, count: 3 } })));
    paths.push(p);
  }
  const out = join(dir, 'merged.json');
  const ok = await runCli(['merge', out, ...paths]);
  t.equal(ok.code, 0, ok.stderr);
  t.match(ok.stdout, /^merged 3 reports into .*merged\.json: 2 workloads, 3 steps, \d+ operations\n$/);
  const merged = parseBenchReport(await readFile(out, 'utf8'), out);
  t.same(merged.shard, { merged: 3 });
  const parts = await Promise.all(paths.map(async (p) => parseBenchReport(await readFile(p, 'utf8'), p)));
  t.equal(merged.workloads[0]!.steps[1]!.operations, parts.reduce((n, r) => n + r.workloads[0]!.steps[1]!.operations, 0), 'operations add up');

  // A shard of another benchmark (different blob size): refused, nothing written.
  const other = sampleReport(200, 1, { shard: { index: 2, count: 3 } });
  other.workloads[1]!.params = { size: 4096 };
  const otherPath = join(dir, 'other.json');
  await writeFile(otherPath, JSON.stringify(other));
  const out2 = join(dir, 'merged2.json');
  const bad = await runCli(['merge', out2, paths[0]!, paths[1]!, otherPath]);
  t.equal(bad.code, 2);
  t.equal(bad.stderr, `regprobe: cannot merge: workload pull.blob has different parameters: ${paths[0]} ran size=1048576, ${otherPath} ran size=4096\n`);
  t.notOk((await readdir(dir)).some((f) => f.startsWith('merged2') || f.startsWith('.merged2')), 'no output file, not even a temporary one');

});

t.test('unusable inputs are named in one line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-merge-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const a = join(dir, 'a.json');
  await writeFile(a, JSON.stringify(sampleReport(1)));
  const out = join(dir, 'out.json');
  t.equal(await mergeError({ out, reports: [a, join(dir, 'nope.json')] }), `cannot read ${join(dir, 'nope.json')}: no such file`);
  await writeFile(join(dir, 'conf.json'), JSON.stringify({ schema: 'regprobe.conformance/v1' }));
  t.equal(await mergeError({ out, reports: [a, join(dir, 'conf.json')] }), `${join(dir, 'conf.json')} is not a regprobe.bench/v1 report: it has schema "regprobe.conformance/v1"`);
  await writeFile(join(dir, 'text.json'), 'hello');
  t.equal(await mergeError({ out, reports: [a, join(dir, 'text.json')] }), `${join(dir, 'text.json')} is not JSON`);
  const damaged = sampleReport(2) as unknown as { workloads: Array<{ steps: Array<{ histogram: string }> }> };
  damaged.workloads[0]!.steps[0]!.histogram = 'bm90IGEgaGlzdG9ncmFt';
  await writeFile(join(dir, 'damaged.json'), JSON.stringify(damaged));
  t.equal(
    await mergeError({ out, reports: [a, join(dir, 'damaged.json')] }),
    `${join(dir, 'damaged.json')} is a damaged regprobe.bench/v1 report: workload manifest.get step 1: histogram is not an encoded HDR histogram`,
  );
  t.match(await mergeError({ out: a, reports: [a] }), /a\.json is also an input/);
  t.same((await readdir(dir)).sort(), ['a.json', 'conf.json', 'damaged.json', 'text.json'], 'nothing written');
});
