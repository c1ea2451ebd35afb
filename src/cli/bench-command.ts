// `regprobe bench [URL]`: load benchmarks of a registry (or the bundled one): pick workloads or a
// profile, run closed-loop steps or an open-loop rate, print the table, write the report files.
// Exit 0; 1 when a step's failed operations exceed --max-error-rate, any digest mismatch, or a
// workload's setup failed; 2 when the run cannot be done (bad arguments, unreachable registry).
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Argv, CommandModule } from 'yargs';
import { RegistryClient, type ClientOptions } from '../client/registry-client.js';
import { createLoadDispatcher, RequestPacer } from '../client/load-dispatcher.js';
import { ContentFactory } from '../conformance/fixtures.js';
import { TargetUnusableError } from '../conformance/probe.js';
import { isValidName, isValidTag } from '../oci/names.js';
import { useColor } from '../report/ansi.js';
import { benchProgress } from '../report/bench-progress.js';
import { renderBenchTable, renderWorkloadList } from '../report/bench-table.js';
import { BENCH_FORMATS, isBenchFormat, writeBenchFiles, type BenchFormat } from '../report/bench-outputs.js';
import { buildPlan, type PlanEntry } from '../../bench/plan.js';
import { PROFILES } from '../../bench/profiles.js';
import { runBenchmark, type BenchEvent } from '../../bench/runner.js';
import { judge } from '../../bench/verdict.js';
import { WORKLOADS } from '../../bench/workloads/index.js';
import type { BenchReport, BenchSettings } from '../../bench/model.js';
import type { ExistingImage } from '../../bench/workload.js';
import type { Credentials } from '../auth/basic-auth.js';
import { setExitCode } from './context.js';
import { ensureReportDir } from './report-dir.js';
import { CliError, ExitCode, type ExitCodeValue } from './exit.js';
import { VERSION } from '../version.js';
import { resolveAuth, type AuthArgs } from './resolve-auth.js';
import { parseSize } from './sizes.js';
import { SHARD_OPTIONS, shardEntries, shardFromArgs } from './shard-option.js';
import { shardPlan, ShardError, type Shard } from '../../bench/shard.js';
import { withTarget, type Target, type TargetSettings } from './target.js';
import { BENCH_OTEL_OPTIONS, withTelemetry } from './otel-option.js';
import { containerOptions, containerSpecFrom, type ContainerArgs } from './container-options.js';
import { COMMAND_TEXT } from './command-text.js';

export interface BenchArgs extends AuthArgs, ContainerArgs {
  url?: string;
  list: boolean;
  verbose: boolean;
  workload?: string[];
  profile: string;
  concurrency?: string[];
  rate?: number;
  maxInFlight: number;
  duration?: string;
  count?: number;
  warmup?: string;
  size?: string;
  param?: string[];
  readOnly: boolean;
  tag?: string;
  namespace: string;
  keep: boolean;
  maxRps?: number;
  identicalContent: boolean;
  maxErrorRate: string;
  reportDir: string;
  format: string[];
  insecure: boolean;
  caFile?: string;
  timeout: number;
  quiet: boolean;
  shard?: string;
  shardCount?: number;
  workers?: string;
}

export function benchOptions<T>(y: Argv<T>): Argv<BenchArgs> {
  return containerOptions(y)
    .positional('url', { type: 'string', describe: 'registry base URL (default: start the bundled reference registry in this process)' })
    .option('list', { type: 'boolean', default: false, describe: 'print the workload ids and profiles, then exit' })
    .option('verbose', { type: 'boolean', default: false, describe: 'with --list: also each workload\'s parameters and defaults' })
    .option('workload', { alias: 'w', type: 'string', array: true, describe: 'workload ids to run (comma lists or repeated); default: the profile\'s' })
    .option('profile', { type: 'string', default: 'quick', describe: `set of workloads and load settings: ${PROFILES.map((p) => p.name).join(', ')}` })
    .option('concurrency', { alias: 'c', type: 'string', array: true, describe: 'closed-loop concurrency steps, e.g. 1,8,32' })
    .option('rate', { type: 'number', describe: 'open loop instead: operations started per second, latency from the scheduled start' })
    .option('max-in-flight', { type: 'number', default: 256, describe: 'open loop: operations in flight at most (later arrivals wait, their clock running)' })
    .option('duration', { alias: 'd', type: 'string', describe: 'measured time per step (10, 10s, 500ms, 2m)' })
    .option('count', { alias: 'n', type: 'number', describe: 'measured operations per step (instead of a duration)' })
    .option('warmup', { type: 'string', describe: 'unrecorded warm-up per step (same units as --duration)' })
    .option('size', { type: 'string', describe: 'blob/layer size for the workloads that have one (e.g. 4MiB)' })
    .option('param', { type: 'string', array: true, describe: 'workload parameter NAME=VALUE (repeatable), see --list --verbose' })
    .option('read-only', { type: 'boolean', default: false, describe: 'only read existing content (safe on production): needs --tag' })
    .option('tag', { type: 'string', describe: 'existing image REPO:TAG for --read-only' })
    .option('namespace', { type: 'string', default: 'regprobe-bench', describe: 'repository prefix for everything the run pushes (a per-run suffix is added; deleted afterwards)' })
    .option('keep', { type: 'boolean', default: false, describe: 'do not delete what the run pushed' })
    .option('max-rps', { type: 'number', describe: 'never send more than this many HTTP requests per second' })
    .option('identical-content', { type: 'boolean', default: false, describe: 'push the same bytes every time (measures deduplication, like zb); default unique content' })
    .options(SHARD_OPTIONS)
    .option('workers', { type: 'string', describe: 'load-generating threads, each with its own connections: N, or auto (cores - 1, at least 1); results merged exactly, as shards are' })
    .options(BENCH_OTEL_OPTIONS)
    .option('max-error-rate', { type: 'string', default: '1%', describe: 'exit 1 when a step has more failed operations than this (e.g. 0, 0.5%, 5%)' })
    .option('report-dir', { type: 'string', default: 'reports', describe: 'directory for the report files' })
    .option('format', { type: 'string', array: true, default: ['table', 'json'], describe: `outputs, comma lists: ${BENCH_FORMATS.join(', ')}` })
    .option('insecure', { type: 'boolean', default: false, describe: 'do not verify the TLS certificate' })
    .option('ca-file', { type: 'string', describe: 'PEM file of CA certificates to trust' })
    .option('timeout', { type: 'number', default: 30, describe: 'seconds allowed per request (headers, and each gap in a body)' })
    .option('username', { type: 'string', describe: 'registry user (or REGPROBE_USERNAME)' })
    .option('password', { type: 'string', describe: 'registry password (or REGPROBE_PASSWORD)' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress and no table (files are still written)' }) as unknown as Argv<BenchArgs>;
}

/** Everything a benchmark run needs, checked; bad input is a CliError (exit 2, one line). */
export interface BenchRunSettings {
  target: TargetSettings;
  plan: PlanEntry[];
  profile: string;
  namespace: string;
  readOnly: boolean;
  existing?: ExistingImage;
  keep: boolean;
  maxRps?: number;
  identicalContent: boolean;
  maxErrorRate: number;
  reportDir: string;
  formats: BenchFormat[];
  quiet: boolean;
  credentials?: Credentials;
  /** Builds a fresh auth provider (each client of a pull storm has its own). */
  freshAuth: () => TargetSettings['auth'];
  settings: BenchSettings;
  shard?: Shard;
  /** Load-generating threads (1: this thread). */
  workers: number;
}

/** `--workers N|auto`: auto leaves one core to everything else (the registry, when it is local). */
export function parseWorkers(text: string | undefined, cores: number = availableParallelism()): number {
  if (text === undefined || text === '') return 1;
  if (text.trim() === 'auto') return Math.max(1, cores - 1);
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new CliError(`--workers takes a whole number 1..256 or auto, got ${text}`);
  return n;
}

function splitList(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => String(v).split(',')).map((s) => s.trim()).filter(Boolean);
}

/** Seconds as `10`, `10s`, `500ms`, `2m` -> ms; null when not a duration. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min)?$/i.exec(text.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  return Math.round(n * (unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000));
}

/** `1%`, `0.5%`, `0.01`, `0` -> a fraction 0..1. */
export function parseRate(text: string): number | null {
  const t = text.trim();
  const pct = t.endsWith('%');
  const n = Number(pct ? t.slice(0, -1) : t);
  if (t === '' || t === '%' || !Number.isFinite(n) || n < 0) return null;
  const f = pct ? n / 100 : n;
  return f <= 1 ? f : null;
}

function credentialsFrom(argv: AuthArgs, env: NodeJS.ProcessEnv): Credentials | undefined {
  const username = argv.username ?? env.REGPROBE_USERNAME;
  const password = argv.password ?? env.REGPROBE_PASSWORD;
  return username && password !== undefined ? { username, password } : undefined;
}

function parseTag(tag: string): ExistingImage {
  const i = tag.lastIndexOf(':');
  const repo = tag.slice(0, i);
  const t = tag.slice(i + 1);
  if (i <= 0 || !isValidName(repo) || !isValidTag(t)) throw new CliError(`--tag must be REPO:TAG with a valid repository name and tag, got ${tag}`);
  return { repo, tag: t };
}

export function benchSettings(argv: BenchArgs, env: NodeJS.ProcessEnv = process.env): BenchRunSettings {
  if (!isValidName(argv.namespace)) throw new CliError(`--namespace ${argv.namespace} is not a valid repository name (lower-case, e.g. regprobe-bench)`);
  if (!Number.isFinite(argv.timeout) || argv.timeout <= 0) throw new CliError(`--timeout must be a number of seconds above 0, got ${argv.timeout}`);
  const formats = splitList(argv.format);
  for (const f of formats) if (!isBenchFormat(f)) throw new CliError(`unknown --format ${f} (choose from ${BENCH_FORMATS.join(', ')})`);
  const concurrency = argv.concurrency === undefined ? undefined : splitList(argv.concurrency).map(Number);
  if (concurrency && (concurrency.length === 0 || concurrency.some((n) => !Number.isInteger(n) || n < 1 || n > 10_000))) {
    throw new CliError(`--concurrency takes whole numbers 1..10000, e.g. 1,8,32; got ${(argv.concurrency ?? []).join(',')}`);
  }
  if (argv.rate !== undefined && !(Number.isFinite(argv.rate) && argv.rate > 0 && argv.rate <= 1_000_000)) throw new CliError(`--rate must be operations per second above 0, got ${argv.rate}`);
  if (argv.rate !== undefined && concurrency) throw new CliError('--rate (open loop) and --concurrency (closed loop) exclude each other: give one');
  if (!Number.isInteger(argv.maxInFlight) || argv.maxInFlight < 1) throw new CliError(`--max-in-flight must be a whole number above 0, got ${argv.maxInFlight}`);
  if (argv.maxRps !== undefined && !(Number.isFinite(argv.maxRps) && argv.maxRps > 0)) throw new CliError(`--max-rps must be above 0, got ${argv.maxRps}`);
  if (argv.rate !== undefined && argv.maxRps !== undefined && argv.rate > argv.maxRps) throw new CliError(`--rate ${argv.rate} is above --max-rps ${argv.maxRps}`);
  const durationMs = argv.duration === undefined ? undefined : parseDuration(argv.duration);
  if (durationMs === null || (durationMs !== undefined && durationMs <= 0)) throw new CliError(`--duration: "${argv.duration}" is not a duration above 0 (examples: 10, 10s, 500ms, 2m)`);
  const warmupMs = argv.warmup === undefined ? undefined : parseDuration(argv.warmup);
  if (warmupMs === null) throw new CliError(`--warmup: "${argv.warmup}" is not a duration (examples: 0, 2s, 500ms)`);
  if (argv.count !== undefined && !(Number.isInteger(argv.count) && argv.count > 0)) throw new CliError(`--count must be a whole number above 0, got ${argv.count}`);
  if (argv.count !== undefined && durationMs !== undefined) throw new CliError('--count and --duration exclude each other: give one');
  const maxErrorRate = parseRate(argv.maxErrorRate);
  if (maxErrorRate === null) throw new CliError(`--max-error-rate: "${argv.maxErrorRate}" is not a rate (examples: 0, 0.5%, 5%)`);

  const params: Record<string, string> = {};
  for (const p of argv.param ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) throw new CliError(`--param takes NAME=VALUE, got ${p}`);
    params[p.slice(0, i)] = p.slice(i + 1);
  }
  const sizeParams: Record<string, string> = {};
  if (argv.size !== undefined) {
    if (parseSize(argv.size) === null || parseSize(argv.size)! <= 0) throw new CliError(`--size: "${argv.size}" is not a size (examples: 4MiB, 512KiB, 1048576)`);
    const workloads = splitList(argv.workload);
    const selected = workloads.length ? WORKLOADS.filter((w) => workloads.includes(w.id)) : WORKLOADS;
    // --size applies to `size` and `layerSize`, whichever the selected workloads have.
    for (const name of ['size', 'layerSize']) if (selected.some((w) => name in w.defaults)) sizeParams[name] = argv.size;
  }

  const existing = argv.tag !== undefined ? parseTag(argv.tag) : undefined;
  if (argv.readOnly && !existing) throw new CliError('--read-only needs existing content to read: add --tag REPO:TAG');
  const plan = buildPlan({
    profile: argv.profile,
    workloads: splitList(argv.workload),
    ...(concurrency ? { concurrency } : {}),
    ...(argv.rate !== undefined ? { rate: argv.rate, maxInFlight: argv.maxInFlight } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(argv.count !== undefined ? { count: argv.count } : {}),
    ...(warmupMs !== undefined ? { warmupMs } : {}),
    params: { ...sizeParams, ...params },
    readOnly: argv.readOnly,
  });
  if (!plan.ok) throw new CliError(plan.problem);
  const shard = shardFromArgs(argv, env);
  const workers = parseWorkers(argv.workers);
  if (workers > 1 && shard) throw new CliError('--workers and --shard exclude each other: a shard is one load generator (run several shards, or one run with --workers)');
  if (workers > 1) {
    try {
      shardPlan(plan.entries, { index: 0, count: workers });
    } catch (err) {
      if (err instanceof ShardError) throw new CliError(`--workers ${workers}: ${err.message}`);
      throw err;
    }
  }

  const namespace = `${argv.namespace}/${randomBytes(3).toString('hex')}`;
  const credentials = credentialsFrom(argv, env);
  const container = containerSpecFrom(argv);
  return {
    target: {
      ...(argv.url !== undefined ? { url: argv.url } : {}),
      ...(container ? { container, ...(argv.quiet ? { quiet: true } : {}) } : {}),
      insecure: argv.insecure,
      ...(argv.caFile !== undefined ? { caFile: argv.caFile } : {}),
      timeoutMs: Math.round(argv.timeout * 1000),
      auth: resolveAuth(argv, env),
    },
    plan: shard ? shardEntries(plan.entries, shard) : plan.entries,
    ...(shard ? { shard } : {}),
    workers,
    profile: plan.profile.name,
    namespace,
    readOnly: argv.readOnly,
    ...(existing ? { existing } : {}),
    keep: argv.keep,
    // A shard keeps to its part of the cap, so that all of them together keep to --max-rps.
    ...(argv.maxRps !== undefined ? { maxRps: shard ? argv.maxRps / shard.count : argv.maxRps } : {}),
    identicalContent: argv.identicalContent,
    maxErrorRate,
    reportDir: argv.reportDir,
    formats: [...new Set(formats as BenchFormat[])],
    quiet: argv.quiet,
    ...(credentials ? { credentials } : {}),
    freshAuth: () => resolveAuth(argv, env),
    settings: {
      readOnly: argv.readOnly,
      namespace,
      identicalContent: argv.identicalContent,
      ...(argv.maxRps !== undefined ? { maxRps: argv.maxRps } : {}),
      warmupMs: warmupMs ?? plan.profile.warmupMs,
      ...(durationMs !== undefined ? { durationMs } : {}),
      ...(argv.count !== undefined ? { count: argv.count } : {}),
      maxErrorRate,
    },
  };
}

/** A client that closes its own load dispatcher (the pull storm makes one per simulated client). */
class OwnedLoadClient extends RegistryClient {
  private readonly owned: { close(): Promise<void> };
  constructor(options: ClientOptions, pacer: RequestPacer | undefined) {
    const d = createLoadDispatcher({ ...(options.insecure ? { insecure: true } : {}), ...(options.ca ? { ca: options.ca } : {}), ...(pacer ? { pacer } : {}) });
    super(options, d);
    this.owned = d;
  }
  override async close(): Promise<void> {
    await super.close();
    await this.owned.close();
  }
}

/** What a measurement needs besides the settings: where progress goes, the step barrier of a worker. */
export interface MeasureHooks {
  onProgress?: (e: BenchEvent) => void;
  beforeStep?: (workload: number, step: number) => Promise<void>;
  signal?: AbortSignal;
  /** The target as the whole run sees it (a worker thread reaches the parent's target by URL). */
  targetView?: { reference: boolean; container: boolean };
}

/** Runs the plan against the target with this thread's own load pool; returns the report (never prints). */
export async function measureBench(s: BenchRunSettings, target: Target, hooks: MeasureHooks = {}): Promise<BenchReport> {
  const base = target.client.options;
  const pacer = s.maxRps !== undefined ? new RequestPacer(s.maxRps) : undefined;
  // The load generator's own pool: no per-origin connection cap (the drivers bound concurrency).
  const client = new OwnedLoadClient(base, pacer);
  const newClient = () => {
    const auth = s.freshAuth().provider;
    const { auth: _shared, ...rest } = base;
    return new OwnedLoadClient({ ...rest, ...(auth ? { auth } : {}) }, pacer);
  };
  const view = hooks.targetView ?? { reference: target.reference, container: target.container !== undefined };
  try {
    const maxDuration = Math.max(...s.plan.map((e) => (e.durationMs ?? 30 * 60_000) + e.warmupMs), 0);
    const out = await runBenchmark({
      client,
      newClient,
      target: { url: target.url, reference: view.reference },
      plan: s.plan,
      profile: s.profile,
      namespace: s.namespace,
      readOnly: s.readOnly,
      ...(s.existing ? { existing: s.existing } : {}),
      content: new ContentFactory({ identical: s.identicalContent }),
      ...(s.credentials ? { credentials: s.credentials } : {}),
      hasCredentials: target.hasCredentials,
      // A throw-away registry (bundled, or in a container) is removed whole; a real one is cleaned unless --keep.
      cleanup: !s.keep && !view.reference && !view.container,
      toolVersion: VERSION,
      settings: s.settings,
      maxStepMs: maxDuration + 60_000,
      drainTimeoutMs: Math.max(10_000, s.target.timeoutMs),
      ...(s.shard ? { shard: s.shard } : {}),
      probeTimeoutMs: s.target.timeoutMs,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      ...(hooks.beforeStep ? { beforeStep: hooks.beforeStep } : {}),
      ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
    });
    const report = out.report;
    if (s.shard) report.shard = { index: s.shard.index, count: s.shard.count };
    return report;
  } catch (err) {
    if (err instanceof TargetUnusableError) throw new CliError(err.message);
    throw err;
  } finally {
    await client.close();
  }
}

/** The benchmark against an open target: run (in this thread or in --workers threads), print, write; returns the exit code. */
export async function benchOnTarget(s: BenchRunSettings, target: Target, argv?: BenchArgs): Promise<{ code: ExitCodeValue; report: BenchReport }> {
  const abort = new AbortController();
  const onSigint = () => {
    if (!s.quiet) process.stderr.write('\nregprobe: interrupted; finishing the current operations and cleaning up (Ctrl-C again to quit at once)\n');
    abort.abort();
    process.removeListener('SIGINT', onSigint);
  };
  process.on('SIGINT', onSigint);
  const onProgress = s.quiet ? undefined : benchProgress(process.stderr, useColor(process.stderr));
  let report: BenchReport;
  try {
    if (s.workers > 1 && argv) {
      // Loaded on demand: a one-thread run does not pay for the worker machinery.
      const { measureInWorkers } = await import('./bench-workers.js');
      report = await measureInWorkers(argv, s, target, { signal: abort.signal, ...(onProgress ? { onProgress } : {}) });
    } else {
      report = await measureBench(s, target, { signal: abort.signal, ...(onProgress ? { onProgress } : {}) });
    }
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  if (!s.quiet && s.formats.includes('table')) process.stdout.write(renderBenchTable(report, { color: useColor(process.stdout) }));
  let written: string[];
  try {
    written = await writeBenchFiles(report, s.reportDir, s.formats);
  } catch (err) {
    throw new CliError(`cannot write the report into ${s.reportDir}: ${(err as Error).message}`);
  }
  if (!s.quiet) for (const p of written) process.stderr.write(`wrote ${p}\n`);
  if (!s.quiet && target.reference) {
    process.stderr.write('note: the bundled registry ran in this process, sharing its CPU with the load generator; for its real figures start `regprobe serve` and benchmark its URL\n');
  }
  const verdict = judge(report, s.maxErrorRate);
  if (verdict.failed) for (const r of verdict.reasons) process.stderr.write(`regprobe bench: ${r}\n`);
  return { code: verdict.failed ? ExitCode.failed : abort.signal.aborted ? ExitCode.unusable : ExitCode.ok, report };
}

export const benchCommand: CommandModule<object, BenchArgs> = {
  ...COMMAND_TEXT.bench,
  builder: (y) => benchOptions(y),
  handler: async (argv) => {
    if (argv.list) {
      process.stdout.write(renderWorkloadList(WORKLOADS, PROFILES, argv.verbose));
      return;
    }
    const s = benchSettings(argv);
    if (s.formats.some((f) => f !== 'table')) await ensureReportDir(s.reportDir);
    await withTelemetry(argv, 'bench', () =>
      withTarget(s.target, async (target) => {
        setExitCode((await benchOnTarget(s, target, argv)).code);
      }),
    );
  },
};

/** What `regprobe run` passes on (its conformance options). */
export interface RunPhaseArgs extends AuthArgs {
  url?: string;
  namespace: string;
  readOnly: boolean;
  tag?: string;
  digest?: string;
  keep: boolean;
  insecure: boolean;
  caFile?: string;
  timeout: number;
  reportDir: string;
  format: string[];
  quiet: boolean;
}

/**
 * The benchmark phase of `regprobe run`: the quick profile against the target conformance used,
 * under `<namespace>/bench/<run>`, table and bench.json as the run's formats ask. Returns the exit code.
 */
export async function benchPhase(argv: RunPhaseArgs, target: Target, env: NodeJS.ProcessEnv = process.env): Promise<ExitCodeValue> {
  const formats = splitList(argv.format).filter((f) => isBenchFormat(f));
  // Conformance may name its content by digest only (REPO@DIGEST): a digest is a manifest reference too.
  const byDigest = argv.tag === undefined && argv.digest !== undefined ? { repo: argv.digest.slice(0, argv.digest.indexOf('@')), tag: argv.digest.slice(argv.digest.indexOf('@') + 1) } : undefined;
  const tag = argv.tag;
  const s = benchSettings(
    {
      ...(argv.url !== undefined ? { url: argv.url } : {}),
      list: false,
      verbose: false,
      profile: 'quick',
      maxInFlight: 256,
      readOnly: argv.readOnly && !byDigest,
      ...(tag !== undefined ? { tag } : {}),
      namespace: `${argv.namespace}/bench`,
      keep: argv.keep,
      identicalContent: false,
      maxErrorRate: '1%',
      reportDir: argv.reportDir,
      format: formats.length ? formats : ['table'],
      insecure: argv.insecure,
      ...(argv.caFile !== undefined ? { caFile: argv.caFile } : {}),
      timeout: argv.timeout,
      ...(argv.username !== undefined ? { username: argv.username } : {}),
      ...(argv.password !== undefined ? { password: argv.password } : {}),
      quiet: argv.quiet,
    },
    env,
  );
  if (!formats.includes('table')) s.formats = s.formats.filter((f) => f !== 'table');
  if (argv.readOnly && byDigest) {
    s.readOnly = true;
    s.settings.readOnly = true;
    s.existing = byDigest;
  }
  return (await benchOnTarget(s, target)).code;
}
