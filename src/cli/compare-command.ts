// `regprobe compare A.json B.json [...]`: reports side by side with ratios against the first (A);
// a CI gate with --max-regression / --threshold (benchmarks) or on newly failing cases (conformance).
import type { CommandModule } from 'yargs';
import type { BenchReport } from '../../bench/model.js';
import type { ConformanceReport } from '../conformance/model.js';
import { BENCH_SCHEMA, checkBenchReport, readReportText, ReportLoadError } from '../report/bench-load.js';
import { CONFORMANCE_SCHEMA, parseConformanceReport } from '../report/conformance-load.js';
import { compareBench, compareConformance, type Comparison, type LoadedReport } from '../report/compare-model.js';
import {
  checkConformance, checkRegressions, checkThresholds, emptyOutcome, GateSpecError, METRICS_HELP, parseMaxRegression, parseThreshold, type GateOutcome, type Threshold,
} from '../report/compare-gate.js';
import { renderCompareTable } from '../report/compare-table.js';
import { renderCompareMarkdown } from '../report/compare-markdown.js';
import { renderCompareJson } from '../report/compare-json.js';
import { renderCompareHtml } from '../report/compare-html.js';
import { writeFileAtomic } from '../report/atomic-write.js';
import { useColor } from '../report/ansi.js';
import { setExitCode } from './context.js';
import { CliError, ExitCode } from './exit.js';
import { COMMAND_TEXT } from './command-text.js';

export const COMPARE_FORMATS = ['table', 'markdown', 'json', 'html'] as const;
type CompareFormat = (typeof COMPARE_FORMATS)[number];

export interface CompareArgs {
  reports: string[];
  maxRegression?: string;
  /** Repeated flags arrive as an array, a single one as a string. */
  threshold?: string[] | string;
  format: string;
  output?: string;
  all: boolean;
}

type Loaded = { kind: 'bench'; input: LoadedReport<BenchReport> } | { kind: 'conformance'; input: LoadedReport<ConformanceReport> };

/** Reads a report of either kind; the schema field decides which. */
export async function loadAnyReport(path: string): Promise<Loaded> {
  const text = await readReportText(path);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ReportLoadError(`${path} is not JSON`);
  }
  const schema = typeof doc === 'object' && doc !== null ? (doc as Record<string, unknown>)['schema'] : undefined;
  if (schema === BENCH_SCHEMA) return { kind: 'bench', input: { source: path, report: checkBenchReport(doc, path) } };
  if (schema === CONFORMANCE_SCHEMA) return { kind: 'conformance', input: { source: path, report: parseConformanceReport(text, path) } };
  const what = typeof schema === 'string' ? `schema "${schema}"` : 'no "schema" field';
  throw new ReportLoadError(`${path} is not a regprobe report this version reads (${BENCH_SCHEMA} or ${CONFORMANCE_SCHEMA}): it has ${what}`);
}

export interface CompareResult {
  text: string;
  failed: boolean;
}

/** Everything but the output: load, check, compare, gate, render. Bad input -> CliError (exit 2). */
export async function runCompare(argv: CompareArgs): Promise<CompareResult> {
  const format = argv.format as CompareFormat;
  if (!(COMPARE_FORMATS as readonly string[]).includes(format)) throw new CliError(`unknown --format ${argv.format} (choose from ${COMPARE_FORMATS.join(', ')})`);
  let thresholds: Threshold[];
  let maxRegression: number | undefined;
  try {
    thresholds = [argv.threshold ?? []].flat().map(parseThreshold);
    maxRegression = argv.maxRegression !== undefined ? parseMaxRegression(argv.maxRegression) : undefined;
  } catch (err) {
    if (err instanceof GateSpecError) throw new CliError(err.message);
    throw err;
  }
  const benchGate = thresholds.length > 0 || maxRegression !== undefined;
  if (argv.reports.length < 2 && thresholds.length === 0) throw new CliError('compare needs two or more reports (or one report with --threshold)');

  const loaded: Loaded[] = [];
  for (const path of argv.reports) {
    try {
      loaded.push(await loadAnyReport(path));
    } catch (err) {
      if (err instanceof ReportLoadError) throw new CliError(err.message);
      throw err;
    }
  }
  const kinds = new Set(loaded.map((l) => l.kind));
  if (kinds.size > 1) {
    const a = loaded[0]!;
    const b = loaded.find((l) => l.kind !== a.kind)!;
    throw new CliError(`${a.input.source} is a ${name(a.kind)} report but ${b.input.source} is a ${name(b.kind)} report: compare reports of one kind`);
  }

  let comparison: Comparison;
  let gate: GateOutcome | undefined;
  if (loaded[0]!.kind === 'bench') {
    const inputs = loaded.map((l) => l.input as LoadedReport<BenchReport>);
    const c = compareBench(inputs);
    comparison = c;
    if (benchGate) {
      gate = emptyOutcome();
      try {
        checkThresholds(thresholds, inputs, gate);
      } catch (err) {
        if (err instanceof GateSpecError) throw new CliError(err.message);
        throw err;
      }
      if (maxRegression !== undefined) {
        if (inputs.length < 2) throw new CliError('--max-regression needs a baseline and at least one more report');
        checkRegressions(c, maxRegression, gate);
      }
    }
  } else {
    if (benchGate) throw new CliError('--threshold and --max-regression apply to benchmark reports; conformance reports are gated on cases that passed in A and fail later');
    const c = compareConformance(loaded.map((l) => l.input as LoadedReport<ConformanceReport>));
    comparison = c;
    if (c.columns.length > 1) gate = checkConformance(c);
  }

  const noise = maxRegression ?? 0.05;
  const color = format === 'table' && argv.output === undefined && useColor(process.stdout);
  const text =
    format === 'table'
      ? renderCompareTable(comparison, gate, { color, noise, all: argv.all })
      : format === 'markdown'
        ? renderCompareMarkdown(comparison, gate, { noise, all: argv.all })
        : format === 'json'
          ? renderCompareJson(comparison, gate)
          : renderCompareHtml(comparison, gate, { noise, all: argv.all });
  return { text, failed: (gate?.failures.length ?? 0) > 0 };
}

function name(kind: Loaded['kind']): string {
  return kind === 'bench' ? 'benchmark' : 'conformance';
}

export const compareCommand: CommandModule<object, CompareArgs> = {
  ...COMMAND_TEXT.compare,
  builder: (y) =>
    y
      .positional('reports', { type: 'string', array: true, demandOption: true, describe: 'report files (JSON); the first is the baseline A' })
      .option('max-regression', { type: 'string', describe: 'benchmarks: exit 1 when p99 rises or ops/s falls by more than this against A (e.g. 10%)' })
      .option('threshold', {
        // Not `array`: that would swallow report files given after the flag; repeats still collect.
        type: 'string',
        describe: `benchmarks: SELECTOR:METRIC OP VALUE, repeatable; SELECTOR is a workload key or id (or *), optionally [param=value] and @c=N / @rate=N; metrics: ${METRICS_HELP}`,
      })
      .option('format', { type: 'string', default: 'table', choices: [...COMPARE_FORMATS], describe: 'output format' })
      .option('output', { alias: 'o', type: 'string', describe: 'write to this file instead of stdout' })
      .option('all', { type: 'boolean', default: false, describe: 'conformance: list every case, not only changed ones' })
      .example('$0 compare last-week.json today.json --max-regression 10%', 'fail on a 10% p99 or throughput regression')
      .example("$0 compare today.json --threshold 'blob.get.1MiB:p99<200ms' --threshold '*:errors<0.1%'", 'absolute limits')
      .example('$0 compare a.json b.json --format html -o compare.html', 'side-by-side charts') as never,
  handler: async (argv) => {
    const r = await runCompare(argv);
    if (argv.output !== undefined) {
      try {
        await writeFileAtomic(argv.output, r.text);
      } catch (err) {
        throw new CliError(`could not write ${argv.output}: ${(err as Error).message}`);
      }
      process.stderr.write(`comparison written to ${argv.output}\n`);
    } else {
      process.stdout.write(r.text);
    }
    setExitCode(r.failed ? ExitCode.failed : ExitCode.ok);
  },
};
