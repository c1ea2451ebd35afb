// WWW-Authenticate values as real registries send them (recorded shapes), and the odd ones RFC 7235 allows.
import t from 'tap';
import { challengeScopes, findChallenge, formatChallenge, parseChallenges } from '../../src/auth/challenge.js';
import { mergeScopes, parseScope, scopeKey, scopesCover } from '../../src/auth/scope.js';

t.test('registries as recorded', async (t) => {
  const cases: Array<[string, string, string, Record<string, string>]> = [
    ['Docker Hub', 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"', 'bearer',
      { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' }],
    ['GHCR', 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:octo/app:pull"', 'bearer',
      { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:octo/app:pull' }],
    ['ECR (Basic with service)', 'Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"', 'basic',
      { realm: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com/', service: 'ecr.amazonaws.com' }],
    ['Harbor', 'Bearer realm="https://harbor.example.com/service/token",service="harbor-registry",scope="repository:library/nginx:pull"', 'bearer',
      { realm: 'https://harbor.example.com/service/token', service: 'harbor-registry', scope: 'repository:library/nginx:pull' }],
    ['ACR', 'Bearer realm="https://myreg.azurecr.io/oauth2/token",service="myreg.azurecr.io"', 'bearer',
      { realm: 'https://myreg.azurecr.io/oauth2/token', service: 'myreg.azurecr.io' }],
    ['Quay', 'Bearer realm="https://quay.io/v2/auth",service="quay.io"', 'bearer', { realm: 'https://quay.io/v2/auth', service: 'quay.io' }],
    ['distribution invalid_token', 'Bearer realm="http://127.0.0.1:5001/token",service="peer",scope="repository:a/b:pull",error="invalid_token"', 'bearer',
      { realm: 'http://127.0.0.1:5001/token', service: 'peer', scope: 'repository:a/b:pull', error: 'invalid_token' }],
    ['insufficient_scope', 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push",error="insufficient_scope"', 'bearer',
      { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:samalba/my-app:pull,push', error: 'insufficient_scope' }],
  ];
  for (const [name, header, scheme, params] of cases) {
    const cs = parseChallenges(header);
    t.equal(cs.length, 1, `${name}: one challenge`);
    t.equal(cs[0]!.scheme, scheme, `${name}: scheme`);
    t.same(cs[0]!.params, params, `${name}: params`);
  }
});

t.test('several challenges in one header, and the ", "-joined form of several headers', async (t) => {
  const cs = parseChallenges('Bearer realm="https://h.example/service/token",service="harbor-registry", Basic realm="harbor"');
  t.same(cs.map((c) => c.scheme), ['bearer', 'basic']);
  t.equal(findChallenge(cs, 'Basic')!.params.realm, 'harbor');
  t.equal(findChallenge(cs, 'BEARER')!.params.service, 'harbor-registry');
  const three = parseChallenges('Negotiate, Basic realm="a", NTLM');
  t.same(three.map((c) => c.scheme), ['negotiate', 'basic', 'ntlm']);
});

t.test('tolerant forms: lower-case scheme, unquoted values, spaces around =, no service, extra Basic params', async (t) => {
  t.same(parseChallenges('bearer realm=https://r.example:8443/token,service=r.example'), [
    { scheme: 'bearer', params: { realm: 'https://r.example:8443/token', service: 'r.example' } },
  ]);
  t.same(parseChallenges('Bearer realm = "x" , service = "y"')[0]!.params, { realm: 'x', service: 'y' });
  t.same(parseChallenges('Bearer realm="https://a/token"')[0]!.params, { realm: 'https://a/token' }, 'Bearer without service');
  t.same(parseChallenges('Basic realm="Registry Realm", charset="UTF-8"')[0]!.params, { realm: 'Registry Realm', charset: 'UTF-8' });
  t.same(parseChallenges('Bearer realm="https://a/t",error_description="the \\"token\\" is bad, really"')[0]!.params, {
    realm: 'https://a/t',
    error_description: 'the "token" is bad, really',
  }, 'escaped quotes and a comma inside a quoted value');
  t.same(parseChallenges('BASIC')[0], { scheme: 'basic', params: {} });
  t.equal(parseChallenges('Bearer REALM="x"')[0]!.params.realm, 'x', 'parameter names are case-insensitive');
  t.equal(parseChallenges('Bearer realm="x" service="y"')[0]!.params.service, 'y', 'a missing comma between params');
});

t.test('token68 credentials and junk never throw', async (t) => {
  const cs = parseChallenges('Negotiate YIIGhgYJKoZIhvcSAQICAQBuggZ1==, Basic realm="x"');
  t.equal(cs[0]!.token68, 'YIIGhgYJKoZIhvcSAQICAQBuggZ1==');
  t.equal(cs[1]!.params.realm, 'x');
  for (const junk of ['', ',,,', '=', '"', 'Bearer realm="unterminated', '\u0000\u0001', 'realm="no scheme"', '=====', 'Bearer ,,, realm=', `Bearer ${'x'.repeat(10000)}`]) {
    t.doesNotThrow(() => parseChallenges(junk), JSON.stringify(junk.slice(0, 30)));
  }
  t.equal(parseChallenges('Bearer realm="https://a/token')[0]!.params.realm, 'https://a/token', 'unterminated quote: value to the end');
  t.same(parseChallenges(undefined), []);
});

t.test('scopes: challenge lists, grammar with host:port names, merging, covering', async (t) => {
  const c = parseChallenges('Bearer realm="r",scope="repository:a:pull repository:b:pull,push"')[0];
  t.same(challengeScopes(c), ['repository:a:pull', 'repository:b:pull,push']);
  t.same(parseScope('repository:localhost:5000/foo/bar:pull,push'), { type: 'repository', name: 'localhost:5000/foo/bar', actions: ['pull', 'push'] });
  t.same(parseScope('repository(plugin):x/y:pull'), { type: 'repository(plugin)', name: 'x/y', actions: ['pull'] });
  t.equal(parseScope('nonsense'), null);
  t.equal(parseScope('repository::pull'), null);
  t.same(mergeScopes(['repository:a:push', 'repository:a:pull'], ['registry:catalog:*', 'repository:a:pull']), ['registry:catalog:*', 'repository:a:pull,push']);
  t.equal(scopeKey(['repository:b:pull', 'repository:a:push,pull']), scopeKey(['repository:a:pull,push', 'repository:b:pull']));
  t.ok(scopesCover(['repository:a:pull,push'], ['repository:a:pull']));
  t.notOk(scopesCover(['repository:a:pull'], ['repository:a:push']));
  t.notOk(scopesCover(['repository:a:pull'], ['repository:b:pull']));
  t.ok(scopesCover(['registry:catalog:*'], ['registry:catalog:*']));
  t.ok(scopesCover(['repository:a:*'], ['repository:a:delete']));
  t.ok(scopesCover([], []));
});

t.test('formatChallenge round-trips through the parser', async (t) => {
  const h = formatChallenge('Bearer', { realm: 'https://a/token', service: 'svc "quoted"', scope: 'repository:a:pull', error: undefined });
  t.equal(h, 'Bearer realm="https://a/token",service="svc \\"quoted\\"",scope="repository:a:pull"');
  t.same(parseChallenges(h)[0]!.params, { realm: 'https://a/token', service: 'svc "quoted"', scope: 'repository:a:pull' });
});
