// The repository's Dockerfile, built for real: on a Docker engine started here, with the Node base
// image it names made from this machine (no image can be pulled here; test/helpers/node-base-image.ts),
// `docker build` must succeed; the image must run as a non-root user with its storage on a volume,
// a health check that turns healthy on /v2/, only production dependencies, `regprobe` as the
// entrypoint; and the same image must serve as a registry and, as a second container, run the full
// conformance suite against it and pass. Content must survive a restart of the registry container.
import t from 'tap';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConformanceReport } from '../../src/conformance/model.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { pushBlobPostPut, readBlob } from '../../src/client/operations.js';
import { digestOf } from '../../src/oci/digest.js';
import { run, startDockerd, type DockerEngine } from '../helpers/dockerd.js';
import { dockerfileBase, importNodeBaseImage } from '../helpers/node-base-image.js';
import { findBinary, requirePeers } from '../helpers/peers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMAGE = 'regprobe:dockerfile-test';

// The build compiles the whole package (npm ci from the npm cache, tsc): 150-245 s on a busy 2-core
// machine, the whole file 230-330 s; more than the default 300 s.
t.setTimeout(900_000);

interface ImageConfig {
  User: string;
  Entrypoint: string[];
  Cmd: string[];
  WorkingDir: string;
  Volumes: Record<string, unknown>;
  ExposedPorts: Record<string, unknown>;
  Healthcheck: { Test: string[] };
}

/** Polls the container's health status (bounded) until it is `healthy`; the last status otherwise. */
async function health(engine: DockerEngine, id: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let status = '';
  while (Date.now() < deadline) {
    status = (await engine.docker(['inspect', '--format', '{{.State.Health.Status}}', id])).trim();
    if (status === 'healthy' || status === 'unhealthy') return status;
    await new Promise((r) => setTimeout(r, 500));
  }
  return status;
}

t.test('the Dockerfile builds an image that serves a registry and tests one', async (t) => {
  if (!requirePeers(t, 'dockerd')) return;
  const engine = await startDockerd();
  t.teardown(() => engine.stop());

  const base = dockerfileBase(join(ROOT, 'Dockerfile'));
  t.equal(base, 'node:20-bookworm-slim', 'the Dockerfile builds on the official Node 20 image');
  let t0 = Date.now();
  await importNodeBaseImage(engine, base);
  t.comment(`base ${base} made from this machine in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  t0 = Date.now();
  // The classic builder: the engine is docker.io 20.10 and there is no buildx here.
  await run(findBinary('docker')!, ['build', '-q', '-t', IMAGE, ROOT], { env: { ...process.env, ...engine.env, DOCKER_BUILDKIT: '0' }, timeoutMs: 780_000 }).catch((err: Error) => {
    // The base's npm is offline: a package of package-lock.json missing from this machine's cache.
    const missing = /ENOTCACHED[\s\S]*?request to \S+\/([^\s/]+) failed/.exec(err.message)?.[1];
    if (missing) throw new Error(`this machine's npm cache lacks ${missing} (and maybe more) from package-lock.json: run npm ci once with the registry reachable`);
    throw err;
  });
  const buildSeconds = (Date.now() - t0) / 1000;
  t.comment(`docker build: ${buildSeconds.toFixed(1)} s`);

  const config = (JSON.parse(await engine.docker(['image', 'inspect', IMAGE])) as Array<{ Config: ImageConfig }>)[0]!.Config;
  t.equal(config.User, 'node', 'runs as the unprivileged node user');
  t.same(config.Entrypoint, ['regprobe'], 'regprobe is the entrypoint');
  t.same(config.Cmd, ['serve', '--host', '0.0.0.0', '--storage', '/var/lib/regprobe'], 'serves by default, storing on the volume');
  t.same(Object.keys(config.Volumes), ['/var/lib/regprobe'], 'storage is a volume');
  t.same(Object.keys(config.ExposedPorts), ['5000/tcp'], 'the registry port');
  const size = Number((await engine.docker(['image', 'inspect', '--format', '{{.Size}}', IMAGE])).trim());
  t.comment(`image size ${(size / 1024 / 1024).toFixed(0)} MiB (the base made here is ~${(Number((await engine.docker(['image', 'inspect', '--format', '{{.Size}}', base])).trim()) / 1024 / 1024).toFixed(0)} MiB of it, with its npm cache)`);
  t.same(config.Healthcheck.Test, ['CMD', 'node', '/opt/regprobe/healthcheck.mjs'], 'health check with node');

  const inside = (cmd: string) => engine.docker(['run', '--rm', '--entrypoint', 'sh', IMAGE, '-c', cmd]);
  const modules = (await inside('ls /opt/regprobe/node_modules')).split(/\s+/);
  for (const dep of ['undici', 'yargs', 'bcryptjs']) t.ok(modules.includes(dep), `production dependency ${dep} is there`);
  for (const dev of ['typescript', 'tap', 'tsx', 'fast-check']) t.notOk(modules.includes(dev), `dev dependency ${dev} is not`);
  t.same((await inside('ls /opt/regprobe')).split(/\s+/).filter(Boolean).sort(), ['bin', 'dist', 'healthcheck.mjs', 'node_modules', 'package.json'], 'no sources, no tests');
  t.match(await engine.docker(['run', '--rm', IMAGE, '--version']), /0\.\d+\.\d+/, 'the entrypoint is the CLI');

  // The registry: published on loopback, health checked every second (the image says every 30 s).
  const reg = (await engine.docker(['run', '-d', '-p', '127.0.0.1::5000', '--health-interval', '1s', IMAGE])).trim();
  t.equal(await health(engine, reg, 60_000), 'healthy', 'the health check on /v2/ turns healthy');
  t.equal((await engine.docker(['exec', reg, 'id', '-u'])).trim(), '1000', 'the registry process is not root');
  const published = (await engine.docker(['port', reg, '5000/tcp'])).trim().split('\n')[0]!;
  const client = new RegistryClient({ baseUrl: `http://${published}`, timeoutMs: 30_000 });
  t.teardown(() => client.close());
  const bytes = Buffer.from(`kept across restarts ${Date.now()}\n`);
  const digest = digestOf(bytes);
  await pushBlobPostPut(client, 'image-test/kept', { digest, size: bytes.length, open: () => bytes });

  // The same image as the conformance runner, sharing the registry container's network.
  const reports = mkdtempSync(join(tmpdir(), 'regprobe-image-reports-'));
  t.teardown(() => rm(reports, { recursive: true, force: true }));
  chmodSync(reports, 0o777); // written by uid 1000 in the container
  t0 = Date.now();
  const conformance = await engine
    .docker(['run', '--rm', '--network', `container:${reg}`, '-v', `${reports}:/home/node/reports`, IMAGE, 'conformance', 'http://127.0.0.1:5000', '-q', '--format', 'json'], { timeoutMs: 240_000 })
    .then(() => 0, (err: Error) => err.message);
  t.comment(`conformance from a second container: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t.equal(conformance, 0, 'conformance exits 0');
  const report = JSON.parse(readFileSync(join(reports, 'conformance.json'), 'utf8')) as ConformanceReport;
  t.equal(report.summary.failed + report.summary.errored, 0, 'no case failed or errored');
  t.ok(report.summary.passed > 50, `${report.summary.passed} cases passed`);

  await engine.docker(['restart', '-t', '10', reg]);
  t.equal(await health(engine, reg, 60_000), 'healthy', 'healthy again after a restart');
  const again = new RegistryClient({ baseUrl: `http://${(await engine.docker(['port', reg, '5000/tcp'])).trim().split('\n')[0]!}`, timeoutMs: 30_000 });
  t.teardown(() => again.close());
  t.equal((await readBlob(again, 'image-test/kept', digest)).bytes, bytes.length, 'a blob pushed before the restart is still there (the volume)');
});
