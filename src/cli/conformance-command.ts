// `regprobe conformance [URL]`: run the conformance suites against a registry (or the bundled one),
// print the table, write the report files, exit 0 / 1 / 2 (DESIGN.md).
import type { Argv, CommandModule } from 'yargs';
import type { ConformanceReport, SecondIdentity, SpecVersion } from '../conformance/model.js';
import { runConformance } from '../conformance/runner.js';
import { TargetUnusableError } from '../conformance/probe.js';
import { selectCases, splitPatterns } from '../conformance/selection.js';
import { SUITES } from '../conformance/suites.js';
import type { Suite } from '../conformance/model.js';
import { makeRealClientsSuite } from '../../suites/real-clients.js';
import { parseRealClients, REAL_CLIENTS, type RealClientName } from '../real-clients/catalog.js';
import { withAuthTests } from '../../suites/auth.js';
import { checkDigest } from '../oci/digest.js';
import { isValidName, isValidTag } from '../oci/names.js';
import { useColor } from '../report/ansi.js';
import { renderConformanceTable } from '../report/conformance-table.js';
import { conformanceProgress } from '../report/conformance-progress.js';
import { appendStepSummary, CONFORMANCE_FORMATS, isConformanceFormat, writeConformanceFiles, type ConformanceFormat } from '../report/conformance-outputs.js';
import { setExitCode } from './context.js';
import { CliError, ExitCode, type ExitCodeValue } from './exit.js';
import { ensureReportDir } from './report-dir.js';
import { VERSION } from '../version.js';
import { targetSettingsFrom, withTarget, type Target, type TargetSettings } from './target.js';
import { OTEL_OPTIONS, withTelemetry } from './otel-option.js';
import { containerOptions, type ContainerArgs } from './container-options.js';
import { COMMAND_TEXT } from './command-text.js';

export interface ConformanceArgs extends ContainerArgs {
  url?: string;
  namespace: string;
  crossNamespace?: string;
  only?: string[];
  skip?: string[];
  spec: string;
  readOnly: boolean;
  tag?: string;
  digest?: string;
  keep: boolean;
  insecure: boolean;
  caFile?: string;
  timeout: number;
  reportDir: string;
  format: string[];
  username?: string;
  password?: string;
  secondUsername?: string;
  secondPassword?: string;
  quiet: boolean;
  strict: boolean;
  authTests?: boolean;
  realClients?: string;
}

/** The options of `conformance`, also used by `run`. */
export function conformanceOptions<T>(y: Argv<T>): Argv<ConformanceArgs> {
  return containerOptions(y)
    .positional('url', { type: 'string', describe: 'registry base URL (default: start the bundled reference registry)' })
    .option('namespace', { type: 'string', default: 'regprobe-conformance', describe: 'repository namespace the run pushes under' })
    .option('cross-namespace', { type: 'string', describe: 'namespace of the second repository for cross-repository cases (default: --namespace)' })
    .option('only', { type: 'string', array: true, describe: 'run only cases whose id matches (globs, comma lists, e.g. push.*)' })
    .option('skip', { type: 'string', array: true, describe: 'do not run cases whose id matches (globs, comma lists)' })
    .option('spec', { type: 'string', choices: ['1.0', '1.1', 'draft'], default: '1.1', describe: 'spec version to check' })
    .option('read-only', { type: 'boolean', default: false, describe: 'pull-only checks of existing content (needs --tag or --digest)' })
    .option('tag', { type: 'string', describe: 'existing content for --read-only: REPO:TAG' })
    .option('digest', { type: 'string', describe: 'existing content for --read-only: REPO@DIGEST' })
    .option('keep', { type: 'boolean', default: false, describe: 'do not delete what the run pushed' })
    .option('insecure', { type: 'boolean', default: false, describe: 'do not verify the TLS certificate' })
    .option('ca-file', { type: 'string', describe: 'PEM file of CA certificates to trust' })
    .option('timeout', { type: 'number', default: 30, describe: 'seconds allowed per request; a case may take twice that' })
    .option('report-dir', { type: 'string', default: 'reports', describe: 'directory for the report files' })
    .option('format', {
      type: 'string',
      array: true,
      default: ['table', 'json'],
      describe: `report formats, repeatable or comma lists: ${CONFORMANCE_FORMATS.join(', ')}`,
    })
    .option('username', { type: 'string', describe: 'registry user (or REGPROBE_USERNAME)' })
    .option('password', { type: 'string', describe: 'registry password (or REGPROBE_PASSWORD)' })
    .option('second-username', { type: 'string', describe: 'an account the registry must refuse the run\'s repositories (or REGPROBE_SECOND_USERNAME): DENIED/UNAUTHORIZED cases' })
    .option('second-password', { type: 'string', describe: 'its password (or REGPROBE_SECOND_PASSWORD)' })
    .option('auth-tests', { type: 'boolean', default: false, describe: 'run the auth suite even when the registry lets anonymous clients in' })
    .option('real-clients', { type: 'string', describe: `also drive the installed client binaries against the registry: auto (every one found) or a list of ${REAL_CLIENTS.join(', ')}` })
    .option('strict', { type: 'boolean', default: false, describe: 'exit 1 also when a SHOULD or MAY case fails or errors' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print no progress and no table (files are still written)' }) as unknown as Argv<ConformanceArgs>;
}

/** Everything a conformance run needs, checked; bad input is a CliError (exit 2, one line). */
export interface ConformanceSettings {
  target: TargetSettings;
  namespace: string;
  crossNamespace?: string;
  only: string[];
  skip: string[];
  spec: SpecVersion;
  readOnly: boolean;
  existing?: { repo: string; tag?: string; digest?: string };
  keep: boolean;
  reportDir: string;
  formats: ConformanceFormat[];
  quiet: boolean;
  strict: boolean;
  authTests: boolean;
  secondIdentity?: SecondIdentity;
  /** --real-clients: the client binaries to drive (empty: the real-clients workflow is not run). */
  realClients: 'auto' | RealClientName[];
}

export function conformanceSettings(argv: ConformanceArgs, env: NodeJS.ProcessEnv = process.env): ConformanceSettings {
  if (!isValidName(argv.namespace)) throw new CliError(`--namespace ${argv.namespace} is not a valid repository name (lower-case, e.g. regprobe-conformance)`);
  if (argv.crossNamespace !== undefined && !isValidName(argv.crossNamespace)) {
    throw new CliError(`--cross-namespace ${argv.crossNamespace} is not a valid repository name`);
  }
  const target = targetSettingsFrom(argv, env);
  const formats = splitPatterns(argv.format);
  for (const f of formats) if (!isConformanceFormat(f)) throw new CliError(`unknown --format ${f} (choose from ${CONFORMANCE_FORMATS.join(', ')})`);
  const existing = existingContent(argv);
  if (argv.readOnly && !existing) throw new CliError('--read-only needs existing content to read: add --tag REPO:TAG or --digest REPO@DIGEST');
  const secondIdentity = secondIdentityFrom(argv, env);
  const only = splitPatterns(argv.only);
  const skip = splitPatterns(argv.skip);
  const spec = argv.spec as SpecVersion;
  let realClients: ConformanceSettings['realClients'];
  try {
    realClients = parseRealClients(argv.realClients);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const unmatched = selectCases(suitesFor({ authTests: false, realClients }), { only, skip, spec, readOnly: argv.readOnly }).unmatched;
  if (unmatched.length > 0) throw new CliError(`--only/--skip pattern ${unmatched.join(', ')} matches no case id`);
  return {
    target,
    namespace: argv.namespace,
    ...(argv.crossNamespace !== undefined ? { crossNamespace: argv.crossNamespace } : {}),
    only,
    skip,
    spec,
    readOnly: argv.readOnly,
    ...(existing ? { existing } : {}),
    keep: argv.keep,
    reportDir: argv.reportDir,
    formats: [...new Set(formats as ConformanceFormat[])],
    quiet: argv.quiet,
    strict: argv.strict,
    authTests: argv.authTests === true,
    ...(secondIdentity ? { secondIdentity } : {}),
    realClients,
  };
}

/** The suites a run uses: every suite, the auth suite forced with --auth-tests, real clients when asked. */
export function suitesFor(s: Pick<ConformanceSettings, 'authTests' | 'realClients'>): readonly Suite[] {
  const base = s.authTests ? withAuthTests(SUITES) : SUITES;
  const wantsClients = s.realClients === 'auto' || s.realClients.length > 0;
  return wantsClients ? [...base, makeRealClientsSuite({ clients: s.realClients })] : base;
}

/** --second-username/--second-password (or REGPROBE_SECOND_USERNAME/PASSWORD): both or neither. */
function secondIdentityFrom(argv: ConformanceArgs, env: NodeJS.ProcessEnv): SecondIdentity | undefined {
  const username = argv.secondUsername ?? (env.REGPROBE_SECOND_USERNAME || undefined);
  const password = argv.secondPassword ?? (env.REGPROBE_SECOND_PASSWORD || undefined);
  if (username === undefined && password === undefined) return undefined;
  if (username === undefined) throw new CliError('a second password was given without a user name: add --second-username (or REGPROBE_SECOND_USERNAME)');
  if (password === undefined) throw new CliError(`--second-username ${username} needs a password: add --second-password (or REGPROBE_SECOND_PASSWORD)`);
  const first = argv.username ?? (env.REGPROBE_USERNAME || undefined);
  if (first !== undefined && first === username) throw new CliError(`--second-username ${username} is the run's own user: the second identity must be an account the registry refuses`);
  return { username, password };
}

function existingContent(argv: ConformanceArgs): ConformanceSettings['existing'] {
  let fromTag: { repo: string; tag: string } | undefined;
  let fromDigest: { repo: string; digest: string } | undefined;
  if (argv.tag !== undefined) {
    const i = argv.tag.lastIndexOf(':');
    const repo = argv.tag.slice(0, i);
    const tag = argv.tag.slice(i + 1);
    if (i <= 0 || !isValidName(repo) || !isValidTag(tag)) throw new CliError(`--tag must be REPO:TAG with a valid repository name and tag, got ${argv.tag}`);
    fromTag = { repo, tag };
  }
  if (argv.digest !== undefined) {
    const i = argv.digest.indexOf('@');
    const repo = argv.digest.slice(0, i);
    const digest = argv.digest.slice(i + 1);
    if (i <= 0 || !isValidName(repo) || !checkDigest(digest).ok) throw new CliError(`--digest must be REPO@DIGEST, e.g. library/alpine@sha256:<64 hex>, got ${argv.digest}`);
    fromDigest = { repo, digest };
  }
  if (fromTag && fromDigest && fromTag.repo !== fromDigest.repo) throw new CliError('--tag and --digest must name the same repository');
  if (!fromTag && !fromDigest) return undefined;
  return { repo: (fromTag ?? fromDigest)!.repo, ...(fromTag ? { tag: fromTag.tag } : {}), ...(fromDigest ? { digest: fromDigest.digest } : {}) };
}

/** 1 when a required case failed or errored; with --strict, when any case failed or errored. */
export function conformanceExitCode(report: ConformanceReport, strict: boolean): ExitCodeValue {
  if (report.summary.requiredFailed > 0) return ExitCode.failed;
  if (strict && (report.summary.failed > 0 || report.summary.errored > 0)) return ExitCode.failed;
  return ExitCode.ok;
}

/** The conformance phase against an open target: run, print, write; returns the exit code. */
export async function conformancePhase(s: ConformanceSettings, target: Target): Promise<ExitCodeValue> {
  let report: ConformanceReport;
  try {
    report = await runConformance({
      client: target.client,
      suites: suitesFor(s),
      target: { url: target.url, reference: target.reference },
      hasCredentials: target.hasCredentials,
      spec: s.spec,
      readOnly: s.readOnly,
      namespace: s.namespace,
      ...(s.crossNamespace !== undefined ? { crossNamespace: s.crossNamespace } : {}),
      only: s.only,
      skip: s.skip,
      keep: s.keep,
      ...(s.existing ? { existing: s.existing } : {}),
      ...(s.secondIdentity ? { secondIdentity: s.secondIdentity } : {}),
      caseTimeoutMs: s.target.timeoutMs * 2,
      probeTimeoutMs: s.target.timeoutMs,
      toolVersion: VERSION,
      ...(s.quiet ? {} : { onProgress: conformanceProgress(process.stderr, useColor(process.stderr)) }),
    });
  } catch (err) {
    if (err instanceof TargetUnusableError) throw new CliError(err.message);
    throw err;
  }
  if (!s.quiet && s.formats.includes('table')) process.stdout.write(renderConformanceTable(report, { color: useColor(process.stdout) }));
  let written: string[];
  try {
    written = await writeConformanceFiles(report, s.reportDir, s.formats);
  } catch (err) {
    throw new CliError(`could not write the reports to ${s.reportDir}: ${(err as Error).message}`);
  }
  // The job summary is a courtesy: a failure to append must not hide the result.
  const summary = await appendStepSummary(report).catch((err: Error) => {
    process.stderr.write(`warning: could not append to $GITHUB_STEP_SUMMARY: ${err.message}\n`);
    return undefined;
  });
  if (!s.quiet) {
    const lines = [...written, ...(summary ? [`${summary} (job summary)`] : [])];
    if (lines.length > 0) process.stderr.write(`reports: ${lines.join(', ')}\n`);
  }
  return conformanceExitCode(report, s.strict);
}

export const conformanceCommand: CommandModule<object, ConformanceArgs> = {
  ...COMMAND_TEXT.conformance,
  builder: (y) => conformanceOptions(y).options(OTEL_OPTIONS),
  handler: (argv) =>
    withTelemetry(argv, 'conformance', async () => {
      const s = conformanceSettings(argv);
      if (s.formats.some((f) => f !== 'table')) await ensureReportDir(s.reportDir);
      setExitCode(await withTarget(s.target, (target) => conformancePhase(s, target)));
    }),
};
