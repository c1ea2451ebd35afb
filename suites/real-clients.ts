// Real clients: the installed binaries (skopeo, podman, buildah, docker, ctr, oras, cosign) driven
// against the registry in a throw-away home (src/real-clients/sandbox.ts), with the run's credentials.
// Each case is one step a user takes (push, pull, copy, list, delete, login, sign...) and passes when
// the client succeeds and what it reports agrees with what the registry serves (digests compared
// through regprobe's own client). Runs only with `--real-clients auto|LIST`; a client that is not
// installed is a skip naming its package. Every command is bounded in time.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CaseContext, CaseDefinition, Requirement, Suite } from '../src/conformance/model.js';
import { fail, expectThat } from '../src/conformance/expect.js';
import { ACCEPT_MANIFESTS, fetchManifestVerified, putManifest, uploadBlobPostPut, tryDelete } from '../src/client/operations.js';
import { AuthEngine } from '../src/auth/auth-engine.js';
import { findOnPath, PACKAGE_OF, REAL_CLIENTS, type RealClientName } from '../src/real-clients/catalog.js';
import { createSandbox, outputTail, type ExecResult, type Sandbox } from '../src/real-clients/sandbox.js';
import { writeLayoutImage, type LayoutImage } from '../src/real-clients/image-layout.js';

export interface RealClientsOptions {
  /** Which clients to drive: every one found (`auto`) or these. */
  clients: 'auto' | readonly RealClientName[];
}

const KEY = 'real-clients';

interface Env {
  sandbox: Sandbox;
  /** host:port as clients name the registry. */
  host: string;
  /** Plain HTTP (every client needs to be told), HTTPS verified by a CA file, or HTTPS unverified. */
  tls: 'plain' | 'ca' | 'insecure' | 'system';
  /** Directory holding ca.crt for the clients that take a certificate directory. */
  certDir?: string;
  caFile?: string;
  creds?: { username: string; password: string };
  /** The image every client starts from (an OCI layout with a real tar layer). */
  image: LayoutImage;
  /** What each client is: its path, or why it cannot run. */
  available: Map<RealClientName, { path: string } | { missing: string; kind: 'unsupported' | 'disabled' }>;
  /** The same image pushed by regprobe itself, for clients that start from the registry (cosign, ctr). */
  base?: { repo: string; tag: string; digest: string };
  /** containerd namespace of this run (ctr). */
  ctrNamespace: string;
}

const REQ = (client: string, what: string): Requirement => ({
  ref: `real-client ${client}`,
  level: 'MUST',
  text: `${what} (a registry that breaks this breaks ${client} for its users)`,
});

function env(ctx: CaseContext): Env {
  const e = ctx.state.get(KEY) as Env | undefined;
  if (!e) throw new Error('real-clients state missing: suite setup did not run');
  return e;
}

/** The client's binary, or a skip saying why it does not run. */
function need(ctx: CaseContext, name: RealClientName): { e: Env; bin: string } {
  const e = env(ctx);
  const a = e.available.get(name);
  if (!a) ctx.skip('disabled', `${name} was not asked for (--real-clients)`);
  if ('missing' in a) ctx.skip(a.kind, a.missing);
  return { e, bin: a.path };
}

/** One step of a client, given the run's environment and the client's binary. */
type Step = (ctx: CaseContext, e: Env, bin: string) => Promise<void>;

/** A client's steps as case runs: each finds the client's binary first, or skips saying why it cannot run. */
function steps<K extends string>(name: RealClientName, all: Record<K, Step>): Record<K, (ctx: CaseContext) => Promise<void>> {
  const runs = {} as Record<K, (ctx: CaseContext) => Promise<void>>;
  for (const k of Object.keys(all) as K[]) {
    runs[k] = async (ctx) => {
      const { e, bin } = need(ctx, name);
      await all[k](ctx, e, bin);
    };
  }
  return runs;
}

/** Fails the case with the command and the tail of its output unless it exited 0. */
function expectOk(r: ExecResult, what: string): ExecResult {
  if (r.code !== 0) fail(`${what}: exit 0`, `${r.timedOut ? 'killed after its time limit' : `exit ${r.code}`}: ${outputTail(r)}`, undefined, `$ ${r.command}`);
  return r;
}

async function registryDigest(ctx: CaseContext, repo: string, reference: string): Promise<string> {
  try {
    return (await fetchManifestVerified(ctx.client, repo, reference)).digest;
  } catch (err) {
    fail(`${repo}:${reference} served by the registry`, (err as Error).message);
  }
}

function sameDigest(reported: string | undefined, served: string, what: string): void {
  expectThat(reported === served, `${what}: the digest the client reported (${reported ?? 'none'}) is the one the registry serves`, `registry serves ${served}`);
}

/**
 * What a client pushed to REPO:v1: deleted at cleanup, and the digest the client reported must be the
 * one the registry serves; remembered under `stateKey` for the cases that pull it back.
 */
async function expectPushed(ctx: CaseContext, repo: string, reported: string | undefined, what: string, stateKey?: string): Promise<void> {
  if (reported) ctx.onCleanup(async () => void (await tryDelete(ctx.client, `/v2/${repo}/manifests/${reported}`)));
  sameDigest(reported, await registryDigest(ctx, repo, 'v1'), what);
  if (stateKey) ctx.state.set(stateKey, reported);
}

const digestIn = (text: string): string | undefined => /sha256:[0-9a-f]{64}/.exec(text)?.[0];

// -----------------------------------------------------------------------------------------------
// Flags per client for the transport and the credentials.

function skopeoTls(e: Env, side: 'src' | 'dest' | ''): string[] {
  const p = side ? `--${side}-` : '--';
  if (e.tls === 'plain' || e.tls === 'insecure') return [`${p}tls-verify=false`];
  if (e.tls === 'ca') return [`${p}cert-dir`, e.certDir!];
  return [];
}
function containersTls(e: Env): string[] {
  if (e.tls === 'plain' || e.tls === 'insecure') return ['--tls-verify=false'];
  if (e.tls === 'ca') return ['--cert-dir', e.certDir!];
  return [];
}
function orasTls(e: Env): string[] {
  if (e.tls === 'plain') return ['--plain-http'];
  if (e.tls === 'insecure') return ['--insecure'];
  if (e.tls === 'ca') return ['--ca-file', e.caFile!];
  return [];
}
function cosignTls(e: Env): string[] {
  if (e.tls === 'plain') return ['--allow-http-registry'];
  if (e.tls === 'insecure') return ['--allow-insecure-registry'];
  return [];
}
/** podman and buildah, run on the sandbox's storage and configuration. */
function containersExec(e: Env, bin: string): (args: string[]) => Promise<ExecResult> {
  return (args) => e.sandbox.exec(bin, [...e.sandbox.containersFlags, ...args]);
}
/** buildah keeps no login of its own here: the credentials go with each command. */
function buildahCreds(e: Env): string[] {
  return e.creds ? ['--creds', `${e.creds.username}:${e.creds.password}`] : [];
}
function ctrFlags(e: Env): string[] {
  const out = e.tls === 'plain' ? ['--plain-http'] : e.tls === 'insecure' ? ['--skip-verify'] : [];
  if (e.creds) out.push('--user', `${e.creds.username}:${e.creds.password}`);
  return out;
}

/** `login` with the password on stdin, for the clients that keep credentials in a file. */
async function login(ctx: CaseContext, name: RealClientName, bin: string, e: Env): Promise<void> {
  if (!e.creds) ctx.skip('unsupported', 'no credentials were given: the registry is used anonymously');
  const tls = name === 'oras' ? orasTls(e) : name === 'skopeo' ? skopeoTls(e, '') : name === 'docker' ? [] : containersTls(e);
  const pre = name === 'podman' ? e.sandbox.containersFlags : [];
  const r = await e.sandbox.exec(bin, [...pre, 'login', ...tls, '--username', e.creds.username, '--password-stdin', e.host], { input: `${e.creds.password}\n` });
  expectOk(r, `${name} login`);
}

async function logout(ctx: CaseContext, name: RealClientName, bin: string, e: Env): Promise<void> {
  if (!e.creds) ctx.skip('unsupported', 'no credentials were given: nothing to log out of');
  const pre = name === 'podman' ? e.sandbox.containersFlags : [];
  expectOk(await e.sandbox.exec(bin, [...pre, 'logout', e.host]), `${name} logout`);
}

/** The clients whose login stores credentials in a file (the others take them with each command). */
const LOGS_IN: ReadonlySet<RealClientName> = new Set(['skopeo', 'podman', 'docker', 'oras']);

/**
 * A client's cases, one row per step in the order its user takes them: every step after the first
 * (the push, or what the client starts from) depends on it unless the row names another; a client
 * that logs in gets a login before its steps and a logout after them.
 */
function clientCases(name: RealClientName, rows: CaseDefinition[]): CaseDefinition[] {
  const [first, ...rest] = rows;
  const cases = [first!, ...rest.map((c) => ({ ...c, dependsOn: c.dependsOn ?? [first!.id] }))];
  if (!LOGS_IN.has(name)) return cases;
  const s = steps(name, {
    login: (ctx, e, bin) => login(ctx, name, bin, e),
    logout: (ctx, e, bin) => logout(ctx, name, bin, e),
  });
  return [
    { id: `real-clients.${name}.login`, title: `${name} login with the run's credentials succeeds (password on stdin, throw-away auth file).`, requirements: [REQ(name, 'login stores working credentials')], run: s.login },
    ...cases,
    { id: `real-clients.${name}.logout`, title: `${name} logout removes the credentials again.`, requirements: [REQ(name, 'logout')], dependsOn: [first!.id], run: s.logout },
  ];
}

// -----------------------------------------------------------------------------------------------

const skopeoSteps = steps('skopeo', {
  async push(ctx, e, bin) {
    const repo = `${ctx.repo}/skopeo`;
    expectOk(await e.sandbox.exec(bin, ['copy', '--quiet', ...skopeoTls(e, 'dest'), `oci:${e.image.dir}:${e.image.tag}`, `docker://${e.host}/${repo}:v1`]), 'skopeo copy (push)');
    await expectPushed(ctx, repo, e.image.manifestDigest, 'skopeo keeps the OCI manifest');
  },
  async inspect(ctx, e, bin) {
    const r = expectOk(await e.sandbox.exec(bin, ['inspect', ...skopeoTls(e, ''), '--format', '{{.Digest}}', `docker://${e.host}/${ctx.repo}/skopeo:v1`]), 'skopeo inspect');
    sameDigest(digestIn(r.stdout), e.image.manifestDigest, 'skopeo inspect');
  },
  async listTags(ctx, e, bin) {
    const r = expectOk(await e.sandbox.exec(bin, ['list-tags', ...skopeoTls(e, ''), `docker://${e.host}/${ctx.repo}/skopeo`]), 'skopeo list-tags');
    let tags: unknown;
    try {
      tags = (JSON.parse(r.stdout) as { Tags?: unknown }).Tags;
    } catch {
      tags = undefined;
    }
    expectThat(Array.isArray(tags) && tags.includes('v1'), 'skopeo list-tags output with "v1" among Tags', outputTail(r));
  },
  async pull(ctx, e, bin) {
    const out = join(e.sandbox.dir, 'work', 'skopeo-pulled');
    expectOk(await e.sandbox.exec(bin, ['copy', '--quiet', ...skopeoTls(e, 'src'), `docker://${e.host}/${ctx.repo}/skopeo:v1`, `oci:${out}:v1`]), 'skopeo copy (pull)');
    const index = JSON.parse(await readFile(join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    sameDigest(index.manifests[0]?.digest, e.image.manifestDigest, 'skopeo pull');
    const layer = await readFile(join(out, 'blobs', 'sha256', e.image.layerDigest.slice(7))).catch(() => undefined);
    expectThat(layer !== undefined, `the layer ${e.image.layerDigest} in the pulled layout`, 'missing');
  },
  async copy(ctx, e, bin) {
    const to = `${ctx.repo}/skopeo-copy`;
    expectOk(await e.sandbox.exec(bin, ['copy', '--quiet', ...skopeoTls(e, 'src'), ...skopeoTls(e, 'dest'), `docker://${e.host}/${ctx.repo}/skopeo:v1`, `docker://${e.host}/${to}:v1`]), 'skopeo copy (registry to registry)');
    ctx.state.set('skopeo-copy', to);
    sameDigest(e.image.manifestDigest, await registryDigest(ctx, to, 'v1'), 'skopeo copy');
  },
  async delete(ctx, e, bin) {
    const to = ctx.state.get('skopeo-copy') as string;
    const r = await e.sandbox.exec(bin, ['delete', ...skopeoTls(e, ''), `docker://${e.host}/${to}@${e.image.manifestDigest}`]);
    if (r.code !== 0 && /unsupported|not supported|405|UNSUPPORTED/i.test(r.stderr)) {
      ctx.observe('delete', 'refused by the registry');
      ctx.skip('unsupported', `the registry refuses manifest deletes: ${outputTail(r, 200)}`);
    }
    expectOk(r, 'skopeo delete');
    const res = await ctx.client.request({ method: 'GET', path: `/v2/${to}/manifests/${e.image.manifestDigest}` });
    await res.dump();
    expectThat(res.status === 404, 'GET of the deleted manifest: 404', `status ${res.status}`);
  },
});

const skopeoCases = clientCases('skopeo', [
  { id: 'real-clients.skopeo.push', title: 'skopeo copy from an OCI layout to the registry succeeds, and the registry serves the manifest skopeo wrote.', requirements: [REQ('skopeo', 'skopeo copy oci:DIR docker://REGISTRY/REPO:TAG')], run: skopeoSteps.push },
  { id: 'real-clients.skopeo.inspect', title: 'skopeo inspect reports the digest the registry serves.', requirements: [REQ('skopeo', 'skopeo inspect docker://...')], run: skopeoSteps.inspect },
  { id: 'real-clients.skopeo.list-tags', title: 'skopeo list-tags lists the pushed tag.', requirements: [REQ('skopeo', 'skopeo list-tags docker://...')], run: skopeoSteps.listTags },
  { id: 'real-clients.skopeo.pull', title: 'skopeo copy from the registry to an OCI layout gets the same manifest and layer back.', requirements: [REQ('skopeo', 'skopeo copy docker://... oci:DIR')], run: skopeoSteps.pull },
  { id: 'real-clients.skopeo.copy', title: 'skopeo copy between two repositories of the registry keeps the digest.', requirements: [REQ('skopeo', 'skopeo copy docker://A docker://B')], run: skopeoSteps.copy },
  { id: 'real-clients.skopeo.delete', title: 'skopeo delete removes the copied image (or the registry refuses deletes, which is allowed).', requirements: [{ ...REQ('skopeo', 'skopeo delete docker://REPO@DIGEST'), level: 'SHOULD' }], dependsOn: ['real-clients.skopeo.copy'], run: skopeoSteps.delete },
]);

/**
 * podman and buildah (containers/image underneath both) as rows: the words that differ when they push
 * with --digestfile and pull the image back.
 */
const ENGINES = {
  podman: { flags: (e: Env) => containersTls(e), rmi: 'podman rmi (start from nothing)', digest: { args: ['image', 'inspect', '--format', '{{.Digest}}'], what: 'podman image inspect' } },
  // buildah's rmi is not checked.
  buildah: { flags: (e: Env) => [...containersTls(e), ...buildahCreds(e)], rmi: undefined, digest: { args: ['images', '--digests', '--format', '{{.Digest}}'], what: 'buildah images' } },
};

/** push --digestfile to <repo>/<engine>:v1 (`refs`: what to push, and where): the digest written is the one the registry serves. */
async function pushWithDigestFile(ctx: CaseContext, e: Env, bin: string, name: keyof typeof ENGINES, refs: string[]): Promise<void> {
  const digestFile = join(e.sandbox.dir, 'work', `${name}.digest`);
  expectOk(await containersExec(e, bin)(['push', '-q', ...ENGINES[name].flags(e), '--digestfile', digestFile, ...refs]), `${name} push`);
  const reported = (await readFile(digestFile, 'utf8')).trim();
  await expectPushed(ctx, `${ctx.repo}/${name}`, reported, `${name} push`, `${name}-digest`);
}

/** The image pulled back from nothing: the digest the engine shows is the one its push reported. */
async function pullBack(ctx: CaseContext, e: Env, bin: string, name: keyof typeof ENGINES): Promise<void> {
  const run = containersExec(e, bin);
  const { rmi, digest } = ENGINES[name];
  const ref = `${e.host}/${ctx.repo}/${name}:v1`;
  const cleared = await run(['rmi', '-a', '-f']);
  if (rmi) expectOk(cleared, rmi);
  expectOk(await run(['pull', '-q', ...ENGINES[name].flags(e), ref]), `${name} pull`);
  const r = expectOk(await run([...digest.args, ref]), digest.what);
  sameDigest(digestIn(r.stdout), ctx.state.get(`${name}-digest`) as string, `${name} pull`);
}

/** An engine's steps: its own way to make the image and push it, then the pull back they share. */
function engineSteps(name: keyof typeof ENGINES, push: Step) {
  return steps(name, { push, pull: (ctx, e, bin) => pullBack(ctx, e, bin, name) });
}

const podmanSteps = engineSteps('podman', async (ctx, e, bin) => {
  const p = containersExec(e, bin);
  const ref = `${e.host}/${ctx.repo}/podman:v1`;
  expectOk(await p(['pull', '-q', `oci:${e.image.dir}:${e.image.tag}`]), 'podman pull oci:DIR (the local image)');
  expectOk(await p(['tag', e.image.configDigest.slice(7), ref]), 'podman tag');
  await pushWithDigestFile(ctx, e, bin, 'podman', [ref]);
});

const podmanCases = clientCases('podman', [
  { id: 'real-clients.podman.push', title: 'podman push of a local image succeeds and the registry serves the digest podman wrote.', requirements: [REQ('podman', 'podman push REGISTRY/REPO:TAG')], run: podmanSteps.push },
  { id: 'real-clients.podman.pull', title: 'podman pull of the pushed image succeeds with the digest the registry serves.', requirements: [REQ('podman', 'podman pull REGISTRY/REPO:TAG')], run: podmanSteps.pull },
]);

const buildahSteps = engineSteps('buildah', async (ctx, e, bin) => {
  const b = containersExec(e, bin);
  const from = expectOk(await b(['from', 'scratch']), 'buildah from scratch');
  const container = from.stdout.trim().split('\n').pop()!.trim();
  const file = join(e.image.dir, 'index.json');
  expectOk(await b(['copy', container, file, '/index.json']), 'buildah copy');
  expectOk(await b(['commit', '-q', container, 'regprobe-buildah:v1']), 'buildah commit');
  await b(['rm', container]);
  await pushWithDigestFile(ctx, e, bin, 'buildah', ['regprobe-buildah:v1', `docker://${e.host}/${ctx.repo}/buildah:v1`]);
});

const buildahCases = clientCases('buildah', [
  { id: 'real-clients.buildah.push', title: 'buildah builds an image from scratch and pushes it; the registry serves the digest buildah wrote.', requirements: [REQ('buildah', 'buildah from scratch, copy, commit, push')], run: buildahSteps.push },
  { id: 'real-clients.buildah.pull', title: 'buildah pull of the pushed image succeeds with the digest the registry serves.', requirements: [REQ('buildah', 'buildah pull')], run: buildahSteps.pull },
]);

const dockerSteps = steps('docker', {
  async push(ctx, e, bin) {
    const ref = `${e.host}/${ctx.repo}/docker:v1`;
    expectOk(await e.sandbox.exec(bin, ['import', e.image.layerTar, ref]), 'docker import');
    ctx.onCleanup(async () => void (await e.sandbox.exec(bin, ['rmi', '-f', ref])));
    const r = expectOk(await e.sandbox.exec(bin, ['push', ref]), 'docker push');
    const reported = /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1];
    await expectPushed(ctx, `${ctx.repo}/docker`, reported, 'docker push', 'docker-digest');
  },
  async pull(ctx, e, bin) {
    const ref = `${e.host}/${ctx.repo}/docker:v1`;
    expectOk(await e.sandbox.exec(bin, ['rmi', '-f', ref]), 'docker rmi (start from nothing)');
    const r = expectOk(await e.sandbox.exec(bin, ['pull', ref]), 'docker pull');
    sameDigest(/Digest: (sha256:[0-9a-f]{64})/.exec(r.stdout)?.[1], ctx.state.get('docker-digest') as string, 'docker pull');
  },
});

const dockerCases = clientCases('docker', [
  { id: 'real-clients.docker.push', title: 'docker push of an imported image succeeds and the registry serves the digest docker printed.', requirements: [REQ('docker', 'docker push REGISTRY/REPO:TAG')], run: dockerSteps.push },
  { id: 'real-clients.docker.pull', title: 'docker pull of the pushed image succeeds with the digest the registry serves.', requirements: [REQ('docker', 'docker pull REGISTRY/REPO:TAG')], run: dockerSteps.pull },
]);

const ctrSteps = steps('ctr', {
  async pull(ctx, e, bin) {
    const base = needBase(ctx, e);
    const ref = `${e.host}/${base.repo}:${base.tag}`;
    const r = expectOk(await e.sandbox.exec(bin, ['-n', e.ctrNamespace, 'images', 'pull', ...ctrFlags(e), ref]), 'ctr images pull');
    const list = expectOk(await e.sandbox.exec(bin, ['-n', e.ctrNamespace, 'images', 'ls']), 'ctr images ls');
    expectThat(list.stdout.includes(base.digest), `ctr images ls shows ${ref} at ${base.digest}`, outputTail(list) || outputTail(r));
  },
  async push(ctx, e, bin) {
    const base = needBase(ctx, e);
    const to = `${ctx.repo}/ctr`;
    const target = `${e.host}/${to}:v1`;
    expectOk(await e.sandbox.exec(bin, ['-n', e.ctrNamespace, 'images', 'tag', `${e.host}/${base.repo}:${base.tag}`, target]), 'ctr images tag');
    expectOk(await e.sandbox.exec(bin, ['-n', e.ctrNamespace, 'images', 'push', ...ctrFlags(e), target]), 'ctr images push');
    await expectPushed(ctx, to, base.digest, 'ctr push');
  },
});

const ctrCases = clientCases('ctr', [
  { id: 'real-clients.ctr.pull', title: 'ctr (containerd, what Kubernetes nodes pull with) pulls an image from the registry.', requirements: [REQ('containerd', 'ctr images pull')], run: ctrSteps.pull },
  { id: 'real-clients.ctr.push', title: 'ctr pushes the pulled image to another repository; the registry serves the same digest.', requirements: [REQ('containerd', 'ctr images push')], run: ctrSteps.push },
]);

const orasSteps = steps('oras', {
  async push(ctx, e, bin) {
    const repo = `${ctx.repo}/oras`;
    const { digest: reported } = await orasPut(e, bin, 'push', repo, 'application/vnd.regprobe.test', 'layout/index.json');
    await expectPushed(ctx, repo, reported, 'oras push', 'oras-digest');
  },
  async pull(ctx, e, bin) {
    const out = join(e.sandbox.dir, 'work', 'oras-pulled');
    expectOk(await e.sandbox.exec(bin, ['pull', ...orasTls(e), '-o', out, `${e.host}/${ctx.repo}/oras:v1`]), 'oras pull');
    const [got, sent] = await Promise.all([readFile(join(out, 'layout', 'index.json')).catch(() => undefined), readFile(join(e.image.dir, 'index.json'))]);
    expectThat(got !== undefined && got.equals(sent), 'the pulled file identical to the pushed one', got ? 'different bytes' : 'no file');
  },
  async attach(ctx, e, bin) {
    const repo = `${ctx.repo}/oras`;
    const { r, digest } = await orasPut(e, bin, 'attach', repo, 'application/vnd.regprobe.signature', 'layout/oci-layout');
    expectThat(digest !== undefined, 'oras attach reports the referrer\'s digest', outputTail(r));
    ctx.onCleanup(async () => void (await tryDelete(ctx.client, `/v2/${repo}/manifests/${digest}`)));
    ctx.state.set('oras-referrer', digest);
    // Where oras put it: the referrers API, or the tag-schema fallback (sha256-<hex> tag).
    const res = await ctx.client.request({ method: 'GET', path: `/v2/${repo}/referrers/${ctx.state.get('oras-digest') as string}` });
    await res.dump();
    ctx.observe('referrers', res.status === 200 ? 'referrers API' : `tag-schema fallback (referrers API answered ${res.status})`);
  },
  async discover(ctx, e, bin) {
    const r = expectOk(await e.sandbox.exec(bin, ['discover', ...orasTls(e), '--format', 'json', `${e.host}/${ctx.repo}/oras:v1`]), 'oras discover');
    const want = ctx.state.get('oras-referrer') as string;
    expectThat(r.stdout.includes(want), `oras discover lists ${want}`, outputTail(r));
  },
  async tags(ctx, e, bin) {
    const r = expectOk(await e.sandbox.exec(bin, ['repo', 'tags', ...orasTls(e), `${e.host}/${ctx.repo}/oras`]), 'oras repo tags');
    expectThat(r.stdout.split('\n').map((s) => s.trim()).includes('v1'), 'oras repo tags lists v1', outputTail(r));
  },
  async copy(ctx, e, bin) {
    const to = `${ctx.repo}/oras-copy`;
    const tls = orasTls(e).flatMap((f) => (f.startsWith('--') && f !== '--ca-file' ? [f.replace('--', '--from-'), f.replace('--', '--to-')] : [f]));
    const ca = e.tls === 'ca' ? ['--from-ca-file', e.caFile!, '--to-ca-file', e.caFile!] : tls;
    expectOk(await e.sandbox.exec(bin, ['cp', '-r', ...ca, `${e.host}/${ctx.repo}/oras:v1`, `${e.host}/${to}:v1`]), 'oras cp -r');
    const digest = ctx.state.get('oras-digest') as string;
    ctx.onCleanup(async () => {
      await tryDelete(ctx.client, `/v2/${to}/manifests/${ctx.state.get('oras-referrer') as string}`);
      await tryDelete(ctx.client, `/v2/${to}/manifests/${digest}`);
    });
    sameDigest(digest, await registryDigest(ctx, to, 'v1'), 'oras cp');
    const d = expectOk(await e.sandbox.exec(bin, ['discover', ...orasTls(e), '--format', 'json', `${e.host}/${to}:v1`]), 'oras discover (copy)');
    expectThat(d.stdout.includes(ctx.state.get('oras-referrer') as string), 'the copy has the referrer too', outputTail(d));
  },
});

const orasCases = clientCases('oras', [
  { id: 'real-clients.oras.push', title: 'oras push of a file with an artifactType succeeds and the registry serves the digest oras reported.', requirements: [REQ('oras', 'oras push --artifact-type')], run: orasSteps.push },
  { id: 'real-clients.oras.pull', title: 'oras pull gets the pushed file back byte for byte.', requirements: [REQ('oras', 'oras pull')], run: orasSteps.pull },
  { id: 'real-clients.oras.attach', title: 'oras attach stores an artifact whose subject is the pushed one.', requirements: [REQ('oras', 'oras attach --artifact-type')], run: orasSteps.attach },
  { id: 'real-clients.oras.discover', title: 'oras discover lists the attached artifact.', requirements: [REQ('oras', 'oras discover')], dependsOn: ['real-clients.oras.attach'], run: orasSteps.discover },
  { id: 'real-clients.oras.tags', title: 'oras repo tags lists the pushed tag.', requirements: [REQ('oras', 'oras repo tags')], run: orasSteps.tags },
  { id: 'real-clients.oras.copy', title: 'oras cp -r copies the artifact with its referrers to another repository.', requirements: [REQ('oras', 'oras cp -r')], dependsOn: ['real-clients.oras.attach'], run: orasSteps.copy },
]);

/** `oras push` or `oras attach` of one sandbox file (JSON) to REPO:v1 with an artifact type; the digest oras reports. */
async function orasPut(e: Env, bin: string, verb: 'push' | 'attach', repo: string, artifactType: string, file: string): Promise<{ r: ExecResult; digest?: string }> {
  // oras refuses absolute file paths: the files are named relative to the sandbox's work directory.
  const r = expectOk(await e.sandbox.exec(bin, [verb, ...orasTls(e), '--artifact-type', artifactType, '--format', 'json', `${e.host}/${repo}:v1`, `${file}:application/json`]), `oras ${verb}`);
  return { r, digest: orasJson(r).digest as string | undefined };
}

function orasJson(r: ExecResult): Record<string, unknown> {
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** The image regprobe pushed itself in setup (cosign and ctr start from the registry). */
function needBase(ctx: CaseContext, e: Env): NonNullable<Env['base']> {
  if (!e.base) ctx.skip('dependency', 'setup could not push the starting image');
  return e.base;
}

const cosignSteps = steps('cosign', {
  async sign(ctx, e, bin) {
    const base = needBase(ctx, e);
    const keyEnv = { COSIGN_PASSWORD: 'regprobe' };
    if (!ctx.state.has('cosign-key')) {
      expectOk(await e.sandbox.exec(bin, ['generate-key-pair', '--output-key-prefix', 'regprobe'], { env: keyEnv }), 'cosign generate-key-pair');
      ctx.state.set('cosign-key', join(e.sandbox.dir, 'work', 'regprobe'));
    }
    const key = ctx.state.get('cosign-key') as string;
    if (e.creds) {
      expectOk(await e.sandbox.exec(bin, ['login', '--username', e.creds.username, '--password-stdin', e.host], { input: e.creds.password }), 'cosign login');
    }
    expectOk(await e.sandbox.exec(bin, ['sign', '--yes', '--key', `${key}.key`, '--tlog-upload=false', ...cosignTls(e), `${e.host}/${base.repo}@${base.digest}`], { env: keyEnv }), 'cosign sign');
    const sigTag = `${base.digest.replace(':', '-')}.sig`;
    const res = await ctx.client.request({ method: 'HEAD', path: `/v2/${base.repo}/manifests/${sigTag}`, headers: { accept: ACCEPT_MANIFESTS } });
    await res.dump();
    ctx.observe('signature', res.status === 200 ? `tag ${sigTag}` : `not under the .sig tag (HEAD ${res.status})`);
  },
  async verify(ctx, e, bin) {
    const base = needBase(ctx, e);
    const key = ctx.state.get('cosign-key') as string;
    const r = expectOk(await e.sandbox.exec(bin, ['verify', '--key', `${key}.pub`, '--insecure-ignore-tlog', ...cosignTls(e), `${e.host}/${base.repo}@${base.digest}`]), 'cosign verify');
    expectThat(r.stdout.includes(base.digest), `cosign verify output names ${base.digest}`, outputTail(r));
  },
  async attest(ctx, e, bin) {
    const base = needBase(ctx, e);
    const key = ctx.state.get('cosign-key') as string;
    const predicate = join(e.image.dir, 'index.json');
    const ref = `${e.host}/${base.repo}@${base.digest}`;
    expectOk(await e.sandbox.exec(bin, ['attest', '--yes', '--key', `${key}.key`, '--tlog-upload=false', '--type', 'custom', '--predicate', predicate, ...cosignTls(e), ref], { env: { COSIGN_PASSWORD: 'regprobe' } }), 'cosign attest');
    expectOk(await e.sandbox.exec(bin, ['verify-attestation', '--key', `${key}.pub`, '--insecure-ignore-tlog', '--type', 'custom', ...cosignTls(e), ref]), 'cosign verify-attestation');
  },
});

const cosignCases = clientCases('cosign', [
  { id: 'real-clients.cosign.sign', title: 'cosign signs an image with a local key (no transparency log); the signature is stored in the registry.', requirements: [REQ('cosign', 'cosign sign --key')], run: cosignSteps.sign },
  { id: 'real-clients.cosign.verify', title: 'cosign verify finds the signature and checks it against the public key.', requirements: [REQ('cosign', 'cosign verify --key')], run: cosignSteps.verify },
  { id: 'real-clients.cosign.attest', title: 'cosign attest stores an in-toto attestation and verify-attestation checks it.', requirements: [REQ('cosign', 'cosign attest / verify-attestation')], run: cosignSteps.attest },
]);

const CASES_BY_CLIENT: Record<RealClientName, CaseDefinition[]> = {
  skopeo: skopeoCases,
  podman: podmanCases,
  buildah: buildahCases,
  docker: dockerCases,
  ctr: ctrCases,
  oras: orasCases,
  cosign: cosignCases,
};

/** Whether a client that needs a daemon can reach one; the reason when not. */
async function daemonProblem(name: RealClientName, bin: string, sandbox: Sandbox): Promise<string | undefined> {
  if (name === 'docker') {
    const r = await sandbox.exec(bin, ['version', '--format', '{{.Server.Version}}'], { timeoutMs: 20_000 });
    return r.code === 0 ? undefined : `docker is installed but no engine answers (set DOCKER_HOST or start dockerd): ${outputTail(r, 160)}`;
  }
  if (name === 'ctr') {
    const r = await sandbox.exec(bin, ['version'], { timeoutMs: 20_000 });
    return r.code === 0 && /Server:/.test(r.stdout) ? undefined : `ctr is installed but no containerd answers (set CONTAINERD_ADDRESS or start containerd): ${outputTail(r, 160)}`;
  }
  return undefined;
}

/** Pushes the layout image through regprobe's own client (the starting point of cosign and ctr). */
async function pushBase(ctx: CaseContext, image: LayoutImage): Promise<{ repo: string; tag: string; digest: string }> {
  const repo = `${ctx.repo}/base`;
  const blobs = join(image.dir, 'blobs', 'sha256');
  for (const d of [image.layerDigest, image.configDigest]) {
    await uploadBlobPostPut(ctx.client, repo, await readFile(join(blobs, d.slice(7))));
  }
  const { digest } = await putManifest(ctx.client, repo, 'v1', await readFile(join(blobs, image.manifestDigest.slice(7))), 'application/vnd.oci.image.manifest.v1+json');
  ctx.onCleanup(async () => void (await tryDelete(ctx.client, `/v2/${repo}/manifests/${digest}`)));
  return { repo, tag: 'v1', digest };
}

export function makeRealClientsSuite(opts: RealClientsOptions): Suite {
  const wanted = opts.clients === 'auto' ? [...REAL_CLIENTS] : [...opts.clients];
  return {
    workflow: 'real-clients',
    title: 'Real clients: skopeo, podman, buildah, docker, ctr, oras and cosign driven against the registry',
    async setup(ctx) {
      const base = ctx.client.baseUrl;
      const engine = ctx.client.auth instanceof AuthEngine ? ctx.client.auth : undefined;
      const c = engine?.credential;
      const creds = c?.username !== undefined && c.password !== undefined ? { username: c.username, password: c.password } : undefined;
      const sandbox = await createSandbox({ secrets: creds ? [creds.password] : [] });
      ctx.onCleanup(() => sandbox.remove());
      const o = ctx.client.options;
      let tls: Env['tls'] = base.protocol === 'http:' ? 'plain' : o.insecure ? 'insecure' : o.ca ? 'ca' : 'system';
      let certDir: string | undefined;
      let caFile: string | undefined;
      if (tls === 'ca') {
        certDir = join(sandbox.dir, 'certs');
        caFile = join(certDir, 'ca.crt');
        const { mkdir, writeFile } = await import('node:fs/promises');
        await mkdir(certDir, { recursive: true });
        await writeFile(caFile, o.ca!);
      }
      if (tls === 'system' && !base.protocol.startsWith('https')) tls = 'plain';
      const image = await writeLayoutImage(join(sandbox.dir, 'work', 'layout'), 'v1');
      const available: Env['available'] = new Map();
      for (const name of REAL_CLIENTS) {
        if (!wanted.includes(name)) continue;
        const path = await findOnPath(name);
        if (!path) {
          available.set(name, { missing: `${name} is not installed (Debian package: ${PACKAGE_OF[name]})`, kind: 'unsupported' });
          continue;
        }
        const problem = await daemonProblem(name, path, sandbox);
        available.set(name, problem ? { missing: problem, kind: 'unsupported' } : { path });
      }
      const e: Env = { sandbox, host: base.host, tls, image, available, ctrNamespace: `regprobe-${ctx.repo.replace(/[^a-z0-9]+/g, '-').slice(-40)}`, ...(certDir ? { certDir } : {}), ...(caFile ? { caFile } : {}), ...(creds ? { creds } : {}) };
      ctx.state.set(KEY, e);
      if (!ctx.readOnly && (available.get('cosign') && 'path' in available.get('cosign')! || available.get('ctr') && 'path' in available.get('ctr')!)) {
        e.base = await pushBase(ctx, image);
      }
      const ctr = available.get('ctr');
      if (ctr && 'path' in ctr) {
        ctx.onCleanup(async () => {
          const list = await sandbox.exec(ctr.path, ['-n', e.ctrNamespace, 'images', 'ls', '-q']);
          const refs = list.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
          if (refs.length) await sandbox.exec(ctr.path, ['-n', e.ctrNamespace, 'images', 'rm', ...refs]);
          await sandbox.exec(ctr.path, ['namespaces', 'rm', e.ctrNamespace]);
        });
      }
    },
    cases: REAL_CLIENTS.flatMap((name) => CASES_BY_CLIENT[name]),
  };
}
