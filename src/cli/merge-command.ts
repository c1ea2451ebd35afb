// `regprobe merge OUT.json SHARD.json...`: adds the reports of the shards of one benchmark run (or of
// independent runs of the same benchmark) into one report, exactly (bench/merge.ts).
import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { mergeBenchReports, MergeError, type MergeInput } from '../../bench/merge.js';
import { loadBenchReport, ReportLoadError } from '../report/bench-load.js';
import { writeFileAtomic } from '../report/atomic-write.js';
import { CliError } from './exit.js';
import { COMMAND_TEXT } from './command-text.js';

export interface MergeArgs {
  out: string;
  reports: string[];
  allowPartial: boolean;
  quiet: boolean;
}

export async function runMerge(argv: MergeArgs): Promise<string> {
  const outPath = resolve(argv.out);
  if (argv.reports.some((r) => resolve(r) === outPath)) throw new CliError(`${argv.out} is also an input: write the merge to a new file`);
  const inputs: MergeInput[] = [];
  for (const path of argv.reports) {
    try {
      inputs.push({ source: path, report: await loadBenchReport(path) });
    } catch (err) {
      if (err instanceof ReportLoadError) throw new CliError(err.message);
      throw err;
    }
  }
  let merged;
  try {
    merged = mergeBenchReports(inputs, { allowPartial: argv.allowPartial });
  } catch (err) {
    if (err instanceof MergeError) throw new CliError(`cannot merge: ${err.message}`);
    throw err;
  }
  try {
    await writeFileAtomic(argv.out, JSON.stringify(merged, null, 2) + '\n');
  } catch (err) {
    throw new CliError(`could not write ${argv.out}: ${(err as Error).message}`);
  }
  const steps = merged.workloads.reduce((n, w) => n + w.steps.length, 0);
  const ops = merged.workloads.reduce((n, w) => n + w.steps.reduce((m, s) => m + s.operations, 0), 0);
  return `merged ${inputs.length} report${inputs.length === 1 ? '' : 's'} into ${argv.out}: ${merged.workloads.length} workloads, ${steps} steps, ${ops} operations\n`;
}

export const mergeCommand: CommandModule<object, MergeArgs> = {
  ...COMMAND_TEXT.merge,
  builder: (y) =>
    y
      .positional('out', { type: 'string', demandOption: true, describe: 'merged report to write (JSON)' })
      .positional('reports', { type: 'string', array: true, demandOption: true, describe: 'shard reports (regprobe.bench/v1 JSON)' })
      .option('allow-partial', { type: 'boolean', default: false, describe: 'merge a shard set with some shards missing' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print nothing on success' })
      .example('$0 merge merged.json shard-0.json shard-1.json shard-2.json', 'add three shard reports into one') as never,
  handler: async (argv) => {
    const line = await runMerge(argv);
    if (!argv.quiet) process.stdout.write(line);
  },
};
