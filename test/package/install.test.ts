// The installable tool: `npm pack` makes a package that installs globally (into a temp prefix) with
// its runtime dependencies only, and whose `regprobe` works from any folder: --version, completion,
// `serve --port 0`, a conformance run (with tracing to a loopback receiver: the lazily loaded SDK is
// a runtime dependency too). The package is packed from dist/ as `npm ci` built it (prepare); when
// dist/ is older than the sources (a working tree after edits), it is built into a temp copy first.
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { builtinModules } from 'node:module';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { REPO_ROOT } from '../helpers/cli-child.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import type { ConformanceReport } from '../../src/conformance/model.js';

interface PackageJson {
  name: string;
  version: string;
  bin: Record<string, string>;
  files: string[];
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

const BUILD_DIRS = ['src', 'suites', 'bench', 'reference-server'];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, NO_COLOR: '1', ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function walk(dir: string, out: string[] = []): Promise<string[]> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else out.push(p);
  }
  return out;
}

/** True when every source of the build has a compiled file at least as new. */
async function distIsFresh(): Promise<boolean> {
  for (const d of BUILD_DIRS) {
    for (const src of await walk(join(REPO_ROOT, d))) {
      if (!src.endsWith('.ts') || src.endsWith('.test.ts') || src.endsWith('.d.ts')) continue;
      const built = join(REPO_ROOT, 'dist', relative(REPO_ROOT, src).replace(/\.ts$/, '.js'));
      const [s, b] = await Promise.all([stat(src), stat(built).catch(() => undefined)]);
      if (!b || b.mtimeMs < s.mtimeMs) return false;
    }
  }
  return true;
}

/** Bare module specifiers a compiled file imports (static, dynamic, re-exports). */
function importsOf(js: string): string[] {
  const found = new Set<string>();
  // Top-level import/export declarations (tsc emits them from column 0), side-effect imports, import(),
  // require() and createRequire(...).resolve() (a worker's module path).
  const patterns = [/^(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm, /^import\s*['"]([^'"]+)['"]/gm, /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g, /(?:\brequire|\)\.resolve)\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const re of patterns) {
    for (const m of js.matchAll(re)) if (!m[1]!.startsWith('.') && !m[1]!.startsWith('/')) found.add(m[1]!);
  }
  return [...found];
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

t.test('npm pack, npm i -g into a temp prefix, regprobe from another folder', async (t) => {
  const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as PackageJson;
  t.equal(pkg.scripts.prepare, 'npm run build', 'dist/ is built by prepare (npm ci, npm pack)');
  t.match(pkg.scripts.prepack, /rmSync\('dist'/, 'npm pack starts from an empty dist/ (no stale modules shipped)');
  t.same(pkg.bin, { regprobe: 'bin/regprobe.js' });
  for (const dev of ['tsx', 'tap', 'typescript', 'playwright-core']) t.notOk(pkg.dependencies[dev], `${dev} is not a runtime dependency`);

  const work = await mkdtemp(join(tmpdir(), 'regprobe-pack-'));
  t.teardown(() => rm(work, { recursive: true, force: true }));

  // The folder to pack: the repository when its dist/ is current, else a copy built here.
  let stage = REPO_ROOT;
  if (!(await distIsFresh())) {
    stage = join(work, 'stage');
    await mkdir(stage);
    for (const p of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md', 'bin', ...BUILD_DIRS]) await cp(join(REPO_ROOT, p), join(stage, p), { recursive: true });
    await symlink(join(REPO_ROOT, 'node_modules'), join(stage, 'node_modules'), 'dir');
    const built = await run(process.execPath, [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: stage, timeoutMs: 300_000 });
    t.equal(built.code, 0, `dist/ was stale: built a copy (${built.stdout}${built.stderr})`);
  }
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: stage, timeoutMs: 120_000 });
  t.equal(packed.code, 0, `npm pack (${packed.stderr})`);
  const info = (JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
  const files = info.files.map((f) => f.path);
  for (const f of ['package.json', 'README.md', 'bin/regprobe.js', 'dist/src/cli/main.js', 'dist/src/version.js', 'dist/reference-server/server.js', 'dist/src/telemetry/sdk.js']) {
    t.ok(files.includes(f), `the package holds ${f}`);
  }
  t.same(files.filter((f) => !/^(bin\/|dist\/|package\.json$|README\.md$)/.test(f)), [], 'nothing outside bin/, dist/, package.json, README.md');
  t.same(files.filter((f) => f.endsWith('.ts') || f.endsWith('.map') || f.startsWith('dist/test/')), [], 'no sources, source maps or tests');

  // Every package a shipped module imports is a runtime dependency (or part of Node).
  const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
  const missing = new Map<string, string>();
  for (const f of files.filter((x) => x.endsWith('.js'))) {
    for (const spec of importsOf(await readFile(join(stage, f), 'utf8'))) {
      const name = packageName(spec);
      if (!builtins.has(spec) && !builtins.has(name) && !pkg.dependencies[name]) missing.set(name, f);
    }
  }
  t.same(Object.fromEntries(missing), {}, 'no shipped module imports a package that is not a runtime dependency');

  // Install as a user would, into a prefix of its own (dependencies from the npm cache, else the registry).
  const prefix = join(work, 'prefix');
  const installed = await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', join(work, info.filename)], {
    cwd: work,
    timeoutMs: 600_000,
  });
  t.equal(installed.code, 0, `npm i -g (${installed.stderr.slice(-2000)})`);
  const root = join(prefix, 'lib', 'node_modules', 'regprobe');
  for (const dev of ['tsx', 'tap', 'typescript', 'playwright-core', 'fast-xml-parser']) t.notOk(existsSync(join(root, 'node_modules', dev)), `${dev} is not installed`);
  const bin = join(prefix, 'bin', 'regprobe');

  // A folder with nothing of the repository above it.
  const cwd = join(work, 'elsewhere');
  await mkdir(cwd);
  const env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH ?? ''}`, NODE_PATH: '', NODE_OPTIONS: '', OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: '' };

  const version = await run(bin, ['--version'], { cwd, env });
  t.same({ code: version.code, out: version.stdout }, { code: 0, out: `${pkg.version}\n` }, 'regprobe --version prints the package version');

  const completion = await run(bin, ['completion'], { cwd, env });
  t.equal(completion.code, 0);
  t.match(completion.stdout, /_regprobe_yargs_completions[\s\S]*regprobe --get-yargs-completions/, 'a completion script for regprobe');
  const words = await run(bin, ['--get-yargs-completions', 'regprobe', 'con'], { cwd, env });
  t.ok(words.stdout.split('\n').includes('conformance'), 'completion names the commands');

  // serve --port 0: the URL line, an answer on it, a clean stop.
  const serve = spawn(bin, ['serve', '--port', '0'], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void serve.kill('SIGKILL'));
  let served = '';
  serve.stdout.setEncoding('utf8');
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL line from regprobe serve: ${served}`)), 60_000);
    serve.stdout.on('data', (d: string) => {
      served += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(served);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
  const base = await fetch(`${url}/v2/`);
  t.equal(base.status, 200, 'the installed registry answers /v2/');
  t.equal(base.headers.get('docker-distribution-api-version'), 'registry/2.0');
  serve.kill('SIGTERM');
  const [code] = (await once(serve, 'close')) as [number | null];
  t.equal(code, 0, 'serve stops cleanly on SIGTERM');

  // conformance against the bundled registry, reports in the current folder, spans to a receiver.
  const rx = await startOtlpReceiver();
  t.teardown(() => rx.close());
  const conf = await run(bin, ['conformance', '--only', 'pull.*', '--format', 'json,junit', '-q'], {
    cwd,
    env: { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    timeoutMs: 180_000,
  });
  t.equal(conf.code, 0, `regprobe conformance --only 'pull.*' (${conf.stderr})`);
  const report = JSON.parse(await readFile(join(cwd, 'reports', 'conformance.json'), 'utf8')) as ConformanceReport;
  t.equal(report.tool.version, pkg.version);
  t.ok(report.summary.passed > 0 && report.summary.failed === 0 && report.summary.errored === 0, `pull cases passed (${JSON.stringify(report.summary)})`);
  t.ok(existsSync(join(cwd, 'reports', 'conformance.junit.xml')), 'JUnit report written');
  const spans = rx.spans();
  t.ok(spans.some((s) => s.name === 'regprobe conformance') && spans.some((s) => s.name === 'case pull.manifest.get-by-tag'), `the installed SDK exported the run's spans (${spans.length})`);
});
