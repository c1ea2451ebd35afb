// The credential chain: flags, REGPROBE_* variables, then the docker config (auths with auth or
// identitytoken, credHelpers, credsStore) with real helper programs on PATH in a temp dir.
import t from 'tap';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { resolveCredentials } from '../../src/auth/credentials.js';
import { AuthError } from '../../src/auth/errors.js';
import { clearSecrets, redact, redactHeaders } from '../../src/auth/redact.js';
import { hostOf, registryHost } from '../../src/auth/docker-config.js';

async function dockerHome(t: { teardown(fn: () => unknown): void }, config: unknown, helpers: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-dockercfg-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  const bin = join(dir, 'bin');
  await import('node:fs/promises').then((fs) => fs.mkdir(bin));
  for (const [name, script] of Object.entries(helpers)) {
    const p = join(bin, `docker-credential-${name}`);
    await writeFile(p, `#!/bin/sh\n${script}\n`);
    await chmod(p, 0o755);
  }
  const env: NodeJS.ProcessEnv = { DOCKER_CONFIG: dir, PATH: `${bin}${delimiter}${process.env.PATH}`, HOME: dir };
  return { dir, env };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

t.test('order: flags, then REGPROBE_USERNAME/PASSWORD, then the docker config', async (t) => {
  const { env } = await dockerHome(t, { auths: { 'reg.example:5000': { auth: b64('cfguser:cfgpass') } } });
  const url = 'https://reg.example:5000';
  const all = { ...env, REGPROBE_USERNAME: 'envuser', REGPROBE_PASSWORD: 'envpass' };
  t.match(await resolveCredentials({ registryUrl: url, username: 'flaguser', password: 'flagpass', env: all }), { username: 'flaguser', password: 'flagpass', source: 'command line' });
  t.match(await resolveCredentials({ registryUrl: url, env: all }), { username: 'envuser', password: 'envpass', source: 'REGPROBE_USERNAME/REGPROBE_PASSWORD' });
  const c = await resolveCredentials({ registryUrl: url, env });
  t.match(c, { username: 'cfguser', password: 'cfgpass' });
  t.match(c!.source, /auths\["reg\.example:5000"\]/);
  t.equal(await resolveCredentials({ registryUrl: 'https://other.example', env }), undefined, 'no entry for another host');
  t.equal(await resolveCredentials({ registryUrl: url, env, dockerConfig: false }), undefined);
});

t.test('half a pair is a clear error', async (t) => {
  await t.rejects(resolveCredentials({ registryUrl: 'http://x', username: 'u', env: {} }), /no password for user u: add --password or set REGPROBE_PASSWORD/);
  await t.rejects(resolveCredentials({ registryUrl: 'http://x', env: { REGPROBE_PASSWORD: 'p' } }), /a password was given without a user name/);
  t.match(await resolveCredentials({ registryUrl: 'http://x', username: 'u', password: '', env: {} }), { username: 'u', password: '' }, 'an empty --password is a password');
  t.equal(await resolveCredentials({ registryUrl: 'http://x', env: { REGPROBE_USERNAME: '', REGPROBE_PASSWORD: '', DOCKER_CONFIG: '/nonexistent' } }), undefined, 'empty variables are unset');
  t.match(await resolveCredentials({ registryUrl: 'http://x', username: 'u', env: { REGPROBE_PASSWORD: 'p' } }), { username: 'u', password: 'p', source: 'command line and REGPROBE_PASSWORD' });
});

t.test('auths: keys with scheme and path, Docker Hub names, identitytoken, passwords with colons, robot$ names', async (t) => {
  const { env } = await dockerHome(t, {
    auths: {
      'https://index.docker.io/v1/': { auth: b64('hubuser:pa:ss') },
      'http://harbor.example/v2/': { auth: b64('robot$proj+ci:tok') },
      'myreg.azurecr.io': { auth: b64('00000000-0000-0000-0000-000000000000:'), identitytoken: 'eyJ.identity' },
      'empty.example': {},
    },
  });
  t.match(await resolveCredentials({ registryUrl: 'https://registry-1.docker.io', env }), { username: 'hubuser', password: 'pa:ss' });
  t.match(await resolveCredentials({ registryUrl: 'https://harbor.example', env }), { username: 'robot$proj+ci', password: 'tok' });
  const acr = await resolveCredentials({ registryUrl: 'https://myreg.azurecr.io', env });
  t.match(acr, { username: '00000000-0000-0000-0000-000000000000', identityToken: 'eyJ.identity' });
  t.equal(acr!.password, undefined);
  t.equal(await resolveCredentials({ registryUrl: 'https://empty.example', env }), undefined);
  t.equal(hostOf('HTTPS://Reg.Example:443/v2/'), 'reg.example:443');
  t.equal(registryHost('https://docker.io'), 'index.docker.io');
});

t.test('credHelpers for the host wins over auths; credsStore is the default helper', async (t) => {
  const { env } = await dockerHome(
    t,
    {
      auths: { '123.dkr.ecr.us-east-1.amazonaws.com': { auth: b64('stale:stale') }, 'store.example': {} },
      credHelpers: { '123.dkr.ecr.us-east-1.amazonaws.com': 'ecr-fake' },
      credsStore: 'store-fake',
    },
    {
      // a helper that prints what it was asked for, so the test sees the server URL it got on stdin
      'ecr-fake': 'read server; echo "{\\"ServerURL\\":\\"$server\\",\\"Username\\":\\"AWS\\",\\"Secret\\":\\"ecr-login-password-for-$server\\"}"',
      'store-fake': 'read server; if [ "$server" = "store.example" ]; then echo "{\\"Username\\":\\"<token>\\",\\"Secret\\":\\"refresh-123\\"}"; else echo "credentials not found in native keychain"; exit 1; fi',
    },
  );
  const ecr = await resolveCredentials({ registryUrl: 'https://123.dkr.ecr.us-east-1.amazonaws.com', env });
  t.match(ecr, { username: 'AWS', password: 'ecr-login-password-for-123.dkr.ecr.us-east-1.amazonaws.com' });
  t.match(ecr!.source, /credential helper "ecr-fake" \(credHelpers\)/);
  const store = await resolveCredentials({ registryUrl: 'https://store.example', env });
  t.match(store, { identityToken: 'refresh-123' }, 'Username <token> means an identity token');
  t.match(store!.source, /credsStore/);
  t.equal(await resolveCredentials({ registryUrl: 'https://unknown.example', env }), undefined, 'helper says not found: anonymous');
});

t.test('helper failures: missing program, error exit, garbage, hanging (timeout) -> one-line AuthError', async (t) => {
  const { env } = await dockerHome(
    t,
    { credHelpers: { 'a.example': 'missing', 'b.example': 'broken', 'c.example': 'garbage', 'd.example': 'slow', 'e.example': '../evil' } },
    { broken: 'echo "keychain locked" >&2; exit 3', garbage: 'echo not-json', slow: 'sleep 120' },
  );
  const cases: Array<[string, RegExp]> = [
    ['a.example', /docker-credential-missing is not on PATH/],
    ['b.example', /docker-credential-broken get failed \(exit 3\): keychain locked/],
    ['c.example', /did not print JSON/],
    ['d.example', /did not answer within 300 ms/],
    ['e.example', /invalid credential helper/],
  ];
  for (const [host, re] of cases) {
    const started = Date.now();
    // Only the hanging helper meets the 300 ms limit; the others get a limit no busy machine reaches,
    // so that a slow start of /bin/sh cannot turn their own error into a timeout.
    const helperTimeoutMs = host === 'd.example' ? 300 : 60_000;
    const e = await resolveCredentials({ registryUrl: `https://${host}`, env, helperTimeoutMs }).catch((x: unknown) => x);
    t.ok(e instanceof AuthError, host);
    t.match((e as Error).message, re, host);
    t.notMatch((e as Error).message, /\n/, `${host}: one line`);
    // The helper sleeps 120 s: ending well before that means it was killed, not waited for (generous
    // so that a busy machine cannot fail it).
    if (host === 'd.example') t.ok(Date.now() - started < 60_000, `the hanging helper was killed (${Date.now() - started} ms)`);
  }
});

t.test('a config that is not JSON is one clear line; a missing config is no credentials', async (t) => {
  const { env } = await dockerHome(t, '{ not json');
  await t.rejects(resolveCredentials({ registryUrl: 'https://x.example', env }), /config\.json is not valid JSON/);
  t.equal(await resolveCredentials({ registryUrl: 'https://x.example', env: { DOCKER_CONFIG: '/nonexistent/regprobe' } }), undefined);
});

t.test('found secrets are redacted from any text; headers masked with their scheme', async (t) => {
  clearSecrets();
  const { env } = await dockerHome(t, { auths: { 'r.example': { auth: b64('alice:Zq9-very-secret') } } });
  await resolveCredentials({ registryUrl: 'https://r.example', env });
  t.equal(redact('login failed for alice with Zq9-very-secret'), 'login failed for alice with <redacted>');
  t.notMatch(redact(`Authorization: Basic ${b64('alice:Zq9-very-secret')}`), /YWxpY2U6/);
  t.equal(redact('https://u:pw@host/v2/'), 'https://<redacted>@host/v2/');
  t.equal(redact('grant_type=password&password=abc123&x=1'), 'grant_type=password&password=<redacted>&x=1');
  t.equal(redact('{"refresh_token":"r-1","token":"t-2","ok":true}'), '{"refresh_token":"<redacted>","token":"<redacted>","ok":true}');
  t.same(redactHeaders({ Authorization: 'Bearer abc', 'content-type': 'text/plain', cookie: 'a=b' }), { Authorization: 'Bearer <redacted>', 'content-type': 'text/plain', cookie: '<redacted>' });
});
