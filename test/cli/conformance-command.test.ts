// `regprobe conformance` and `regprobe run`: option checking in-process, then the real CLI in a child
// process against the bundled reference registry and misbehaving loopback targets.
import t, { type Test } from 'tap';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { conformanceExitCode, conformanceSettings, type ConformanceArgs } from '../../src/cli/conformance-command.js';
import { ensureReportDir } from '../../src/cli/report-dir.js';
import { openTarget, parseTargetUrl } from '../../src/cli/target.js';
import { resolveAuth } from '../../src/cli/resolve-auth.js';
import { CliError } from '../../src/cli/exit.js';
import { parseConformanceReport } from '../../src/report/conformance-load.js';
import { parseBenchReport } from '../../src/report/bench-load.js';
import type { ConformanceReport } from '../../src/conformance/model.js';
import { sampleReport } from '../helpers/sample-conformance-report.js';
import { runCli } from '../helpers/cli-child.js';
import { BASIC_PASSWORD, BASIC_USER, BROKEN_SERVER_HEADER, closedPort, selfSignedCert, startBrokenTarget } from '../helpers/broken-targets.js';

const DEFAULTS: ConformanceArgs = {
  namespace: 'regprobe-conformance',
  spec: '1.1',
  readOnly: false,
  keep: false,
  insecure: false,
  timeout: 30,
  reportDir: 'reports',
  format: ['table', 'json'],
  quiet: false,
  strict: false,
};

async function tmp(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

function oneLineError(t: Test, stderr: string, pattern: RegExp): void {
  const lines = stderr.split('\n').filter((l) => l.length > 0);
  t.equal(lines.length, 1, `exactly one line on stderr: ${JSON.stringify(stderr)}`);
  t.match(lines[0], /^regprobe: /);
  t.match(lines[0], pattern);
  t.notMatch(stderr, /\n\s+at /, 'no stack trace');
}

t.test('options are checked before anything runs', async (t) => {
  const s = conformanceSettings({ ...DEFAULTS, url: 'https://r.example', format: ['junit,markdown', 'html', 'junit'], timeout: 2.5, tag: 'library/alpine:3.20', readOnly: true }, {});
  t.same(s.formats, ['junit', 'markdown', 'html'], 'comma lists, repeats, no duplicates');
  t.equal(s.target.timeoutMs, 2500);
  t.same(s.existing, { repo: 'library/alpine', tag: '3.20' });
  t.equal(s.target.auth.hasCredentials, false);
  const d = 'sha256:' + 'a'.repeat(64);
  t.same(conformanceSettings({ ...DEFAULTS, digest: `a/b@${d}`, tag: 'a/b:v1' }, {}).existing, { repo: 'a/b', tag: 'v1', digest: d });

  const bad: Array<[Partial<ConformanceArgs>, RegExp]> = [
    [{ namespace: 'Bad Name' }, /--namespace Bad Name is not a valid repository name/],
    [{ crossNamespace: 'x//y' }, /--cross-namespace/],
    [{ timeout: 0 }, /--timeout must be a number of seconds above 0/],
    [{ timeout: Number.NaN }, /--timeout/],
    [{ format: ['table', 'pdf'] }, /unknown --format pdf \(choose from table, json, junit, markdown, html\)/],
    [{ readOnly: true }, /--read-only needs existing content to read: add --tag REPO:TAG or --digest REPO@DIGEST/],
    [{ tag: 'no-tag-here' }, /--tag must be REPO:TAG/],
    [{ tag: 'repo:bad/tag' }, /--tag must be REPO:TAG/],
    [{ digest: 'repo@sha256:xyz' }, /--digest must be REPO@DIGEST/],
    [{ tag: 'a/b:v1', digest: `c/d@${d}` }, /must name the same repository/],
    [{ only: ['definitely-not-a-case-id'] }, /--only\/--skip pattern definitely-not-a-case-id matches no case id/],
    [{ password: 'x' }, /a password was given without a user name/],
    [{ username: 'u' }, /no password for user u: add --password or set REGPROBE_PASSWORD/],
  ];
  for (const [args, message] of bad) {
    t.throws(() => conformanceSettings({ ...DEFAULTS, ...args }, {}), { name: 'CliError', message }, JSON.stringify(args));
  }
});

t.test('credentials from flags or environment', async (t) => {
  t.equal(resolveAuth({}, { REGPROBE_USERNAME: 'u', REGPROBE_PASSWORD: 'p' }).hasCredentials, true);
  t.equal(resolveAuth({ username: 'u', password: '' }, {}).hasCredentials, true, 'an empty password is still a password');
  // No credentials: still an engine, for anonymous Bearer tokens (public pulls from Docker Hub-like registries).
  t.equal(resolveAuth({}, {}).hasCredentials, false);
  t.ok(resolveAuth({}, {}).provider, 'an auth engine for anonymous tokens');
  t.throws(() => resolveAuth({}, { REGPROBE_USERNAME: 'u' }), CliError);
  t.equal(resolveAuth({}, { REGPROBE_USERNAME: '', REGPROBE_PASSWORD: '' }).hasCredentials, false, 'empty variables count as unset');
});

t.test('target URLs', async (t) => {
  t.equal(parseTargetUrl('https://r.example/v2/'), 'https://r.example/', 'a pasted /v2/ is removed');
  t.equal(parseTargetUrl('http://127.0.0.1:5000/prefix/v2'), 'http://127.0.0.1:5000/prefix/');
  t.throws(() => parseTargetUrl('localhost:5000'), { message: /must start with http:\/\/ or https:\/\// });
  t.throws(() => parseTargetUrl('not a url'), { message: /not a URL: not a url/ });
});

t.test('exit codes: required failures; --strict counts every failure', async (t) => {
  const report = sampleReport();
  t.equal(conformanceExitCode(report, false), 1);
  const noMust: ConformanceReport = { ...report, summary: { ...report.summary, requiredFailed: 0 } };
  t.equal(conformanceExitCode(noMust, false), 0, 'SHOULD not met does not fail the run');
  t.equal(conformanceExitCode(noMust, true), 1, '--strict: it does');
  const clean: ConformanceReport = { ...report, summary: { ...report.summary, requiredFailed: 0, failed: 0, errored: 0, recommendedNotMet: 0 } };
  t.equal(conformanceExitCode(clean, true), 0);
});

t.test('an unusable --report-dir is refused', async (t) => {
  const dir = await tmp(t);
  await writeFile(join(dir, 'file'), 'x');
  await t.rejects(ensureReportDir(join(dir, 'file')), { name: 'CliError', message: /--report-dir .*file cannot be used: a file is in the way/ });
  await t.rejects(ensureReportDir(join(dir, 'file', 'sub')), { name: 'CliError' });
  await ensureReportDir(join(dir, 'a', 'b'));
  t.same(await readdir(join(dir, 'a')), ['b'], 'created when missing');
});

t.test('CLI: an unreachable URL or a bad argument is exit 2 with one line', async (t) => {
  const dir = await tmp(t);
  const port = await closedPort();
  const r = await runCli(['conformance', `http://127.0.0.1:${port}`, '--report-dir', join(dir, 'out')]);
  t.equal(r.code, 2);
  t.equal(r.stdout, '');
  oneLineError(t, r.stderr, /connection refused: is the registry running at this address\?/);
  t.same(await readdir(dir), ['out'], 'the report directory is made up front, and nothing is written into it');
  t.same(await readdir(join(dir, 'out')), []);
  const r2 = await runCli(['conformance', '--spec', '2.0', '--report-dir', join(dir, 'never')]);
  t.equal(r2.code, 2, 'a bad choice is a usage error');
  oneLineError(t, r2.stderr, /Invalid values: Argument: spec, Given: "2\.0"/);
  t.same(await readdir(dir), ['out'], 'the command did not run');
});

t.test('a missing --ca-file is refused', async (t) => {
  const dir = await tmp(t);
  await t.rejects(openTarget({ url: 'https://127.0.0.1:1', insecure: false, caFile: join(dir, 'nope.pem'), timeoutMs: 1000, auth: { hasCredentials: false } }), {
    name: 'CliError',
    message: /cannot read --ca-file .*nope\.pem: no such file/,
  });
  await writeFile(join(dir, 'empty.pem'), 'not a certificate');
  await t.rejects(openTarget({ url: 'https://127.0.0.1:1', insecure: false, caFile: join(dir, 'empty.pem'), timeoutMs: 1000, auth: { hasCredentials: false } }), {
    message: /holds no PEM certificate/,
  });
});

t.test('CLI: a TLS failure says what to do; --ca-file works', async (t) => {
  const dir = await tmp(t);
  const cert = await selfSignedCert();
  t.teardown(() => cert.cleanup());
  const target = await startBrokenTarget('not-found', cert);
  t.teardown(() => target.close());
  const r = await runCli(['conformance', target.url, '--report-dir', dir]);
  t.equal(r.code, 2);
  oneLineError(t, r.stderr, /TLS failure: use --ca-file to trust its certificate, or --insecure to skip verification/);
  t.same(await readdir(dir), [], 'no report when nothing ran');

  // Every case deselected: this is about reaching the target, not about the suites.
  const ok = await runCli(['conformance', target.url, '--ca-file', cert.certFile, '--report-dir', dir, '--format', 'json', '--timeout', '5', '-q', '--skip', '*']);
  t.not(ok.code, 2, `the run happens (${ok.stderr.trim()})`);
  t.equal(ok.stdout, '', '-q prints nothing');
  const report = parseConformanceReport(await readFile(join(dir, 'conformance.json'), 'utf8'));
  t.equal(report.target.serverHeaders['server'], BROKEN_SERVER_HEADER, 'server header recorded');
  t.equal(ok.code, report.summary.requiredFailed > 0 ? 1 : 0, 'exit code follows the report');
});

t.test('CLI: a registry that needs credentials', async (t) => {
  const dir = await tmp(t);
  const target = await startBrokenTarget('basic-auth');
  t.teardown(() => target.close());
  const good = await runCli(['conformance', target.url, '--report-dir', dir, '--format', 'json', '-q', '--timeout', '5', '--skip', '*'], {
    env: { REGPROBE_USERNAME: BASIC_USER, REGPROBE_PASSWORD: BASIC_PASSWORD },
  });
  t.not(good.code, 2, `credentials from the environment are used (${good.stderr.trim()})`);
  t.same(target.seen.slice(0, 2), ['GET /v2/', 'GET /v2/'], 'challenged, then answered with the credentials');
});

t.test('CLI: no URL tests the bundled reference registry and writes every format', async (t) => {
  const dir = await tmp(t);
  const summary = join(dir, 'step-summary.md');
  const r = await runCli(['conformance', '--report-dir', join(dir, 'reports'), '--format', 'table', '--format', 'json,junit,markdown,html'], {
    env: { GITHUB_STEP_SUMMARY: summary },
  });
  const report = parseConformanceReport(await readFile(join(dir, 'reports', 'conformance.json'), 'utf8'));
  t.equal(report.target.reference, true);
  t.match(report.target.url, /^http:\/\/127\.0\.0\.1:\d+/);
  t.equal(r.code, report.summary.requiredFailed > 0 ? 1 : 0, 'exit code follows the report');
  t.same((await readdir(join(dir, 'reports'))).sort(), ['conformance.html', 'conformance.json', 'conformance.junit.xml', 'conformance.md']);
  t.equal(XMLValidator.validate(await readFile(join(dir, 'reports', 'conformance.junit.xml'), 'utf8')), true);
  t.match(r.stdout, /^Conformance of http:\/\/127\.0\.0\.1:\d+ \(bundled reference registry\)/);
  t.match(r.stdout, /│ total\s+│/);
  t.notMatch(r.stdout, /\u001b/, 'no colour when not a TTY');
  t.match(r.stderr, /reports: .*conformance\.json, .*conformance\.junit\.xml, .*conformance\.md, .*conformance\.html, .*step-summary\.md \(job summary\)/);
  t.match(await readFile(summary, 'utf8'), /^## regprobe conformance: (PASS|FAIL)/);
});

t.test('CLI: regprobe run is conformance first, then the quick benchmark', async (t) => {
  const dir = await tmp(t);
  const r = await runCli(['run', '--report-dir', dir, '--format', 'json', '--skip', '*']);
  const report = parseConformanceReport(await readFile(join(dir, 'conformance.json'), 'utf8'));
  t.equal(r.code, 0);
  t.ok(report.results.length > 0 && report.results.every((x) => x.status === 'skip' && x.skipKind === 'disabled'), 'the conformance phase ran (every case deselected)');
  const bench = parseBenchReport(await readFile(join(dir, 'bench.json'), 'utf8'));
  t.equal(bench.profile, 'quick', 'the benchmark phase ran the quick profile');
  t.ok(bench.workloads.length > 0 && bench.workloads.every((w) => w.steps.length > 0 || w.skipped), 'every workload ran or says why not');
  t.equal(r.stdout, '', 'no table unless asked for');
});
