// Access rules and htpasswd users of the reference registry; the bounded, cached password check.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import bcrypt from 'bcryptjs';
import { AccessPolicy, AccessRulesError, parseAccessRules } from '../../../reference-server/auth/access-rules.js';
import { HtpasswdError, parseHtpasswd, PasswordChecker } from '../../../reference-server/auth/htpasswd.js';
import { requirePeers } from '../../helpers/peers.js';

const ISSUE_EXAMPLE = '{"rules":[{"account":"alice","repository":"team/*","actions":["pull","push"]},{"account":"*","repository":"public/*","actions":["pull"]},{"account":"alice","type":"registry","name":"catalog","actions":["*"]}]}';

t.test('the example rules of the issue: accounts, globs, anonymous through "*", catalog', async (t) => {
  const p = new AccessPolicy(parseAccessRules(ISSUE_EXAMPLE));
  t.same(p.grant('alice', 'repository', 'team/app', ['pull', 'push', 'delete']), ['pull', 'push']);
  t.same(p.grant('alice', 'repository', 'team/deep/er', ['push']), ['push'], '* spans slashes');
  t.same(p.grant('bob', 'repository', 'team/app', ['pull']), []);
  t.same(p.grant('bob', 'repository', 'public/x', ['pull', 'push']), ['pull']);
  t.same(p.grant('', 'repository', 'public/x', ['pull']), ['pull'], 'anonymous matches "*"');
  t.same(p.grant('', 'repository', 'team/app', ['pull']), []);
  t.same(p.grant('alice', 'registry', 'catalog', ['*']), ['*']);
  t.same(p.grant('bob', 'registry', 'catalog', ['*']), []);
  t.same(p.grant('alice', 'repository(plugin)', 'team/app', ['pull']), ['pull'], 'resource class ignored');
  t.same(p.grant('alice', 'repository', 'teamx/app', ['pull']), [], 'the / of team/* is literal');
});

t.test('no rules: any authenticated account may do everything, anonymous nothing', async (t) => {
  const p = new AccessPolicy();
  t.same(p.grant('x', 'repository', 'a/b', ['pull', 'push', 'delete']), ['pull', 'push', 'delete']);
  t.same(p.grant('x', 'registry', 'catalog', ['*']), ['*']);
  t.same(p.grant('', 'repository', 'a/b', ['pull']), []);
});

t.test('rule files with mistakes are one clear line', async (t) => {
  const bad: Array<[string, RegExp]> = [
    ['{', /not valid JSON/],
    ['[]', /expected \{"rules":\[/],
    ['{"rules":[{"repository":"a","actions":["pull"]}]}', /rule 1: "account" must be a string/],
    ['{"rules":[{"account":"a","actions":["pull"]}]}', /rule 1: "repository" must be a non-empty string/],
    ['{"rules":[{"account":"a","repository":"x","actions":["read"]}]}', /unknown action "read"/],
    ['{"rules":[{"account":"a","type":"namespace","name":"x","actions":["pull"]}]}', /"type" must be "repository" or "registry"/],
    ['{"rules":[{"account":"a","repository":"x","actions":"pull"}]}', /"actions" must be a list of strings/],
  ];
  for (const [text, re] of bad) t.throws(() => parseAccessRules(text, 'access.json'), { name: 'AccessRulesError', message: re }, text);
  t.ok(new AccessRulesError('x') instanceof Error);
});

t.test('htpasswd: bcrypt lines from the real htpasswd tool; other hashes refused', async (t) => {
  if (requirePeers(t, 'htpasswd')) {
    const line = execFileSync('htpasswd', ['-Bbn', 'robot$ci', 'pa:ss w0rd'], { encoding: 'utf8' });
    const users = parseHtpasswd(`# comment\n\n${line}`);
    t.ok(users.has('robot$ci'));
    const c = new PasswordChecker(users);
    t.teardown(() => c.close());
    t.equal(await c.check('robot$ci', 'pa:ss w0rd'), 'ok');
    t.equal(await c.check('robot$ci', 'pa:ss w0rd '), 'bad');
  }
  t.throws(() => parseHtpasswd('alice:$apr1$abc$def'), HtpasswdError);
  t.throws(() => parseHtpasswd('alice:{SHA}abc='), /no bcrypt hash/);
  t.throws(() => parseHtpasswd('no-colon-here'), /expected user:hash/);
});

t.test('password check: ok, bad, unknown user (same cost), cached success, bounded queue', async (t) => {
  const users = new Map([['alice', bcrypt.hashSync('right', 4)], ['bob', bcrypt.hashSync('other', 4)]]);
  const c = new PasswordChecker(users, { concurrency: 1, maxQueue: 8 });
  t.teardown(() => c.close());
  t.equal(await c.check('alice', 'right'), 'ok');
  const n = c.stats.bcrypt;
  t.equal(await c.check('alice', 'right'), 'ok');
  t.equal(c.stats.bcrypt, n, 'the second success comes from the cache');
  t.equal(c.stats.cacheHits, 1);
  t.equal(await c.check('alice', 'wrong'), 'bad');
  t.equal(await c.check('mallory', 'right'), 'bad');
  t.equal(c.stats.bcrypt, n + 2, 'a wrong password and an unknown user both cost a bcrypt');
  t.equal(await c.check('bob', 'right'), 'bad', 'one user\'s password is not another\'s');
  // A burst: at most maxQueue wait, the rest are refused at once as busy; nothing throws.
  const burst = await Promise.all(Array.from({ length: 60 }, (_, i) => c.check('alice', `guess-${i}`)));
  const busy = burst.filter((r) => r === 'busy').length;
  t.ok(busy >= 60 - 9, `${busy} of 60 refused as busy`);
  t.ok(burst.every((r) => r === 'bad' || r === 'busy'));
  t.equal(await c.check('alice', 'right'), 'ok', 'a real user still gets in (cached)');
  t.equal(await c.check('bob', 'other'), 'ok', 'and a new login works once the burst is over');
});
