// The preset table and the --container arguments, without Docker: which image, port, environment,
// command and files each request turns into, and the one-line refusals of what cannot work.
import t from 'tap';
import yargs from 'yargs';
import { imageRepository, isImageReference, presets, resolveContainer, ContainerSpecError } from '../../src/containers/presets.js';
import { containerOptions, containerSpecFrom } from '../../src/cli/container-options.js';
import { CliError } from '../../src/cli/exit.js';
import { isLoopbackHost, isThisMachine, noEngineMessage } from '../../src/containers/registry-container.js';

const req = (container: string, more: Partial<Parameters<typeof resolveContainer>[0]> = {}) => resolveContainer({ container, startupTimeoutMs: 60_000, ...more }, '9.8.7');

t.test('image references are reduced to their repository for matching', async (t) => {
  t.equal(imageRepository('registry:2'), 'registry');
  t.equal(imageRepository('docker.io/library/registry:2.8.3'), 'registry');
  t.equal(imageRepository('registry@sha256:' + 'a'.repeat(64)), 'registry');
  t.equal(imageRepository('ghcr.io/project-zot/zot-linux-amd64:v2.1.0'), 'ghcr.io/project-zot/zot-linux-amd64');
  t.equal(imageRepository('localhost:5000/team/registry:dev'), 'localhost:5000/team/registry', 'a registry port is not a tag');
  t.ok(isImageReference('localhost:5000/team/registry:dev'));
  t.ok(isImageReference('registry:3'));
  t.notOk(isImageReference('Registry 3'));
  t.notOk(isImageReference('http://127.0.0.1:5000'));
});

t.test('presets by name', async (t) => {
  const d = req('distribution');
  t.same(d, { image: 'registry:3', preset: 'distribution', port: 5000, env: { REGISTRY_STORAGE_DELETE_ENABLED: 'true' }, files: [], startupTimeoutMs: 60_000 });

  const z = req('zot');
  t.match(z.image, /^ghcr\.io\/project-zot\/zot-linux-(amd64|arm64):/);
  t.equal(z.port, 5000);
  t.equal(z.files.length, 1);
  t.equal(z.files[0]!.path, '/etc/zot/config.json', 'replaces the config the image serves');
  const zc = JSON.parse(z.files[0]!.content) as { http: { address: string; port: string }; storage: { gc: boolean; rootDirectory: string } };
  t.same(zc.http, { address: '0.0.0.0', port: '5000' }, 'listens where the preset says');
  t.equal(zc.storage.gc, false, 'no garbage collection under the suite');

  const r = req('regprobe');
  t.equal(r.image, 'regprobe:9.8.7', "this version's image");
  t.same(r.command, ['serve', '--host', '0.0.0.0', '--port', '5000']);
  t.same(req('regprobe', { port: 6000 }).command, ['serve', '--host', '0.0.0.0', '--port', '6000'], 'the command follows --container-port');
});

t.test('an image gets the preset of its repository, or --container-preset, or needs --container-port', async (t) => {
  for (const image of ['registry:2', 'registry:3', 'docker.io/library/registry:2.8.3', 'distribution/distribution:edge']) {
    t.equal(req(image).preset, 'distribution', `${image} -> distribution`);
    t.equal(req(image).image, image, 'the image asked for is started');
  }
  t.equal(req('ghcr.io/project-zot/zot-linux-arm64:v2.1.0').preset, 'zot');
  t.equal(req('regprobe:latest').preset, 'regprobe');

  const own = req('localhost:5000/me/distribution:dev', { preset: 'distribution', env: ['REGISTRY_LOG_LEVEL=debug', 'REGISTRY_STORAGE_DELETE_ENABLED=false'] });
  t.equal(own.preset, 'distribution');
  t.same(own.env, { REGISTRY_STORAGE_DELETE_ENABLED: 'false', REGISTRY_LOG_LEVEL: 'debug' }, '--container-env adds to and overrides the preset');

  const plain = req('example/registry:1', { port: 8080, env: ['A=b=c'] });
  t.same(plain, { image: 'example/registry:1', port: 8080, env: { A: 'b=c' }, files: [], startupTimeoutMs: 60_000 }, 'no preset: only what was given');

  t.throws(() => req('example/registry:1'), { name: 'ContainerSpecError', message: /no preset knows the image example\/registry:1: give --container-port/ });
  t.throws(() => req('registry:3', { preset: 'harbor' }), { message: /unknown --container-preset harbor \(choose from distribution, zot, regprobe\)/ });
  t.throws(() => req('registry:3', { port: 70000 }), { message: /--container-port must be a TCP port 1\.\.65535, got 70000/ });
  t.throws(() => req('registry:3', { env: ['NOEQUALS'] }), { message: /--container-env takes KEY=VALUE, got NOEQUALS/ });
  t.throws(() => req('not an image'), { message: /is neither a preset \(distribution, zot, regprobe\) nor an image reference/ });
  t.throws(() => req('registry:3', { startupTimeoutMs: 0 }), ContainerSpecError);
});

t.test('the CLI options: parsed, checked, refused in one line', async (t) => {
  const parse = (args: string[]) => containerOptions(yargs(args)).option('quiet', { type: 'boolean' }).strict().parseSync() as Parameters<typeof containerSpecFrom>[0];
  t.equal(containerSpecFrom(parse([])), undefined, 'no --container: no container');
  const spec = containerSpecFrom(parse(['--container', 'registry:2', '--container-env', 'A=1', '--container-env', 'B=2', '--container-timeout', '5']));
  t.same(spec?.env, { REGISTRY_STORAGE_DELETE_ENABLED: 'true', A: '1', B: '2' });
  t.equal(spec?.startupTimeoutMs, 5000);
  t.throws(() => containerSpecFrom({ ...parse(['--container', 'zot']), url: 'http://127.0.0.1:5000' }), { name: 'CliError', message: /give either a registry URL \(http:\/\/127\.0\.0\.1:5000\) or --container zot, not both/ });
  t.throws(() => containerSpecFrom(parse(['--container-port', '5000'])), { message: '--container-port goes with --container IMAGE' });
  t.throws(() => containerSpecFrom(parse(['--container', 'x/y:1'])), CliError);
  t.throws(() => containerSpecFrom(parse(['--container', 'registry:3', '--container-timeout', '-1'])), { message: /--container-timeout must be a number of seconds above 0/ });
  t.throws(() => containerSpecFrom(parse(['--container', 'registry:3', '--container', 'zot'])), { name: 'CliError', message: /--container is given 2 times: test one registry per run, then .*regprobe compare/ });
  t.throws(() => containerSpecFrom(parse(['--container', 'zot', '--container-port', '1', '--container-port', '2'])), { name: 'CliError', message: '--container-port is given 2 times: give it once' });
});

t.test('where ports are published: loopback when the engine is this machine', async (t) => {
  t.ok(isLoopbackHost('localhost'));
  t.ok(isLoopbackHost('127.0.0.1'));
  t.ok(isLoopbackHost('::1'));
  t.notOk(isLoopbackHost('10.0.0.1'));
  t.ok(await isThisMachine('127.0.0.1'));
  t.notOk(await isThisMachine('192.0.2.123'), 'TEST-NET address: not ours');
  t.notOk(await isThisMachine('docker.example.com'), 'a remote name');
});

t.test('the no-engine message says what was tried and how to point DOCKER_HOST', async (t) => {
  t.match(noEngineMessage({}), /none answers at \/var\/run\/docker\.sock .* DOCKER_HOST is not set: start Docker, or point DOCKER_HOST at one/);
  t.match(noEngineMessage({ DOCKER_HOST: 'tcp://10.1.2.3:2375' }), /none answers at DOCKER_HOST=tcp:\/\/10\.1\.2\.3:2375/);
  t.notMatch(noEngineMessage({}), /\n/);
});

t.test('every preset listens on the port it declares', async (t) => {
  for (const p of presets('1.0.0')) {
    t.ok(p.port > 0 && p.port < 65536, `${p.name}: port ${p.port}`);
    t.ok(p.repositories.includes(imageRepository(p.image)), `${p.name}: its own image gets it back`);
  }
});
