// `regprobe serve --auth ...` as a user runs it (a child process), and `regprobe conformance` with
// credentials against it: both auth modes end to end through the command line.
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { RegistryClient } from '../../src/client/registry-client.js';
import { parseChallenges } from '../../src/auth/challenge.js';
import { killChild, runCli, startServeChild, type ServeChild } from '../helpers/cli-child.js';
import type { ConformanceReport } from '../../src/conformance/model.js';
import { authorizerFrom, type AuthArgs } from '../../src/cli/serve-auth.js';
import { CliError } from '../../src/cli/exit.js';

async function tempDir(t: Test): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-serve-auth-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function users(dir: string): Promise<string> {
  const f = join(dir, 'users.htpasswd');
  await writeFile(f, `alice:${bcrypt.hashSync('alice-pw', 5)}\nbob:${bcrypt.hashSync('bob-pw', 5)}\n`);
  return f;
}

async function anonStatus(url: string, path: string, authorization?: string): Promise<{ status: number; challenge?: string }> {
  const c = new RegistryClient({ baseUrl: url, timeoutMs: 10_000 });
  try {
    const r = await c.request({ method: 'GET', path, anonymous: true, ...(authorization ? { headers: { authorization } } : {}) });
    await r.dump();
    return { status: r.status, ...(r.header('www-authenticate') ? { challenge: r.header('www-authenticate')! } : {}) };
  } finally {
    await c.close();
  }
}

t.test('serve --auth token: challenge, token service, key kept in the storage directory across restarts', async (t) => {
  const dir = await tempDir(t);
  const htpasswd = await users(dir);
  const storage = join(dir, 'store');
  const args = ['--port', '0', '--storage', storage, '--auth', 'token', '--htpasswd', htpasswd, '--service', 'my-registry', '--issuer', 'my-issuer'];
  let child: ServeChild = await startServeChild(args);
  t.teardown(() => killChild(child));
  t.match(child.stdout(), /auth token \(2 users; realm http:\/\/127\.0\.0\.1:\d+\/token, service my-registry, issuer my-issuer, ES256, certificate .*auth\/token-signing\.crt\)/);
  const ping = await anonStatus(child.url, '/v2/');
  t.equal(ping.status, 401);
  t.same(parseChallenges(ping.challenge)[0]!.params, { realm: `${child.url}/token`, service: 'my-registry' });
  const tok = await fetch(`${child.url}/token?service=my-registry&scope=repository:a/b:pull`, { headers: { authorization: `Basic ${Buffer.from('alice:alice-pw').toString('base64')}` } });
  t.equal(tok.status, 200);
  const body = (await tok.json()) as { token: string };
  t.equal((await anonStatus(child.url, '/v2/', `Bearer ${body.token}`)).status, 200);
  const cert = await readFile(join(storage, 'auth', 'token-signing.crt'), 'utf8');
  child.signal('SIGTERM');
  t.equal((await child.exited).code, 0);
  child = await startServeChild(args);
  t.equal((await anonStatus(child.url, '/v2/', `Bearer ${body.token}`)).status, 200, 'a token from before the restart still verifies: same key');
  t.equal(await readFile(join(storage, 'auth', 'token-signing.crt'), 'utf8'), cert);
});

t.test('serve --auth htpasswd with access rules', async (t) => {
  const dir = await tempDir(t);
  const htpasswd = await users(dir);
  const access = join(dir, 'access.json');
  await writeFile(access, '{"rules":[{"account":"alice","repository":"*","actions":["*"]},{"account":"*","repository":"public/*","actions":["pull"]}]}');
  const child = await startServeChild(['--port', '0', '--auth', 'htpasswd', '--htpasswd', htpasswd, '--access', access]);
  t.teardown(() => killChild(child));
  t.match(child.stdout(), /auth htpasswd \(2 users\)/);
  const ping = await anonStatus(child.url, '/v2/');
  t.equal(ping.status, 401);
  t.match(ping.challenge, /^Basic realm="regprobe"$/);
  t.equal((await anonStatus(child.url, '/v2/', `Basic ${Buffer.from('alice:alice-pw').toString('base64')}`)).status, 200);
  t.equal((await anonStatus(child.url, '/v2/public/x/tags/list')).status, 404, 'anonymous pull of public/* is allowed (nothing there yet)');
});

t.test('bad auth arguments: a one-line CliError for each; through the CLI: stderr, exit 2, no server', async (t) => {
  const dir = await tempDir(t);
  const htpasswd = await users(dir);
  await writeFile(join(dir, 'md5.htpasswd'), 'alice:$apr1$abcdefgh$ijklmnopqrstuvwxyz0123\n');
  await writeFile(join(dir, 'bad.json'), '{"rules":[{"account":"a","repository":"x","actions":["read"]}]}');
  await writeFile(join(dir, 'junk.key'), 'not a key');
  const cases: Array<[AuthArgs, RegExp]> = [
    [{ auth: 'htpasswd' }, /--auth htpasswd needs --htpasswd FILE/],
    [{ htpasswd }, /--htpasswd needs --auth htpasswd or --auth token/],
    [{ auth: 'htpasswd', htpasswd: join(dir, 'md5.htpasswd') }, /md5\.htpasswd:1: user "alice" has no bcrypt hash/],
    [{ auth: 'htpasswd', htpasswd: join(dir, 'missing') }, /--htpasswd .*missing: ENOENT/],
    [{ auth: 'token', access: join(dir, 'bad.json') }, /bad\.json: rule 1: unknown action "read"/],
    [{ auth: 'token', 'token-key': join(dir, 'junk.key') }, /junk\.key is not a PEM private key/],
    [{ auth: 'token', 'token-cert': join(dir, 'junk.key') }, /--token-cert needs --token-key/],
    [{ auth: 'htpasswd', htpasswd, 'token-key': join(dir, 'junk.key') }, /--token-key needs --auth token/],
  ];
  for (const [args, re] of cases) {
    const err = await authorizerFrom(args, undefined).then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof CliError, JSON.stringify(args));
    t.match((err as Error).message, re);
    t.notMatch((err as Error).message, /\n/, 'one line');
  }
  for (const args of [['--auth', 'htpasswd', '--htpasswd', join(dir, 'md5.htpasswd')], ['--auth', 'kerberos']]) {
    const r = await runCli(['serve', '--port', '0', ...args], { timeoutMs: 30_000 });
    t.equal(r.code, 2, args.join(' '));
    t.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr.trim()}`);
    t.notMatch(r.stdout, /listening on/);
  }
});

// The whole conformance run in token mode is checked in-process (test/conformance/auth-suite.test.ts);
// here the command line carries the credentials through to the auth cases.
t.test('regprobe conformance with --username/--password against serve --auth token: the auth cases pass', async (t) => {
  const dir = await tempDir(t);
  const htpasswd = await users(dir);
  const child = await startServeChild(['--port', '0', '--auth', 'token', '--htpasswd', htpasswd]);
  t.teardown(() => killChild(child));
  const reports = join(dir, 'reports');
  const r = await runCli(['conformance', child.url, '--only', 'auth,pull', '--username', 'alice', '--password', 'alice-pw', '--report-dir', reports, '--format', 'json', '-q'], { timeoutMs: 120_000 });
  const report = JSON.parse(await readFile(join(reports, 'conformance.json'), 'utf8')) as ConformanceReport;
  const bad = report.results.filter((x) => x.status === 'fail' || x.status === 'error').map((x) => `${x.id}: ${x.message}`);
  t.same(bad, []);
  t.equal(r.code, 0, r.stderr);
  // The second-identity cases need --second-username (test/conformance/second-identity.test.ts runs them).
  const auth = report.results.filter((x) => x.workflow === 'auth' && !x.id.startsWith('auth.second-identity.'));
  t.ok(auth.length >= 14 && auth.every((x) => x.status === 'pass'), `${auth.filter((x) => x.status === 'pass').length} auth cases pass`);
  for (const x of report.results.filter((r) => r.id.startsWith('auth.second-identity.'))) t.equal(x.status, 'skip', `${x.id} skips without a second identity`);
  t.notMatch(JSON.stringify(report), /alice-pw/, 'the password is nowhere in the report');

  const wrong = await runCli(['conformance', child.url, '--username', 'alice', '--password', 'not-it', '--report-dir', reports, '--format', 'json', '-q'], { timeoutMs: 60_000 });
  t.equal(wrong.code, 2, 'refused credentials: the run cannot be done');
  t.match(wrong.stderr, /^regprobe: token service http:\/\/127\.0\.0\.1:\d+\/token refused the request \(credentials from command line\): check the username and password\n$/);
  t.notMatch(wrong.stderr, /not-it/);
});

t.test('credentials from the docker config (a credential helper on PATH) reach the registry', async (t) => {
  const dir = await tempDir(t);
  const htpasswd = await users(dir);
  const child = await startServeChild(['--port', '0', '--auth', 'htpasswd', '--htpasswd', htpasswd]);
  t.teardown(() => killChild(child));
  const host = new URL(child.url).host;
  await writeFile(join(dir, 'config.json'), JSON.stringify({ credHelpers: { [host]: 'regprobe-test' } }));
  const bin = join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  await writeFile(join(bin, 'docker-credential-regprobe-test'), '#!/bin/sh\nread server\necho "{\\"ServerURL\\":\\"$server\\",\\"Username\\":\\"bob\\",\\"Secret\\":\\"bob-pw\\"}"\n', { mode: 0o755 });
  const reports = join(dir, 'reports');
  const r = await runCli(['conformance', child.url, '--only', 'auth', '--report-dir', reports, '--format', 'json', '-q'], {
    env: { DOCKER_CONFIG: dir, PATH: `${bin}:${process.env.PATH}`, REGPROBE_USERNAME: '', REGPROBE_PASSWORD: '' },
    timeoutMs: 120_000,
  });
  t.equal(r.code, 0, r.stderr);
  const report = JSON.parse(await readFile(join(reports, 'conformance.json'), 'utf8')) as ConformanceReport;
  t.equal(report.results.find((x) => x.id === 'auth.credentials.wrong-password')?.status, 'pass', 'the helper\'s user was used (a wrong password for it was refused)');
});
