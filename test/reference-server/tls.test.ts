// HTTPS for the reference registry: the self-signed CA directory (made, reused, renewed, refused when
// it is not ours), checks on given certificate files, and real clients trusting the CA: Node's TLS,
// skopeo (--src-cert-dir/--dest-cert-dir) and podman (--cert-dir), each refused without it.
import t, { type Test } from 'tap';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReferenceServer } from '../../reference-server/server.js';
import { loadTlsFiles, selfSignedTls } from '../../reference-server/tls.js';
import { selfSignedCertificate } from '../../reference-server/auth/x509.js';
import { requirePeers } from '../helpers/peers.js';
import { buildOciImage, corruptBlobs, layoutTagDigest, tool } from '../helpers/oci-image.js';
import { createSandbox, outputTail } from '../../src/real-clients/sandbox.js';

async function tempDir(t: Test): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'regprobe-tls-'));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

/** GET url with Node's TLS: status, or the TLS error code. */
function get(url: string, ca?: string): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = request(url, { ...(ca ? { ca } : {}), timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode! }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

t.test('--tls-self-signed DIR: a CA and a server certificate for this machine, made once and reused', async (t) => {
  const dir = join(await tempDir(t), 'tls');
  const made = await selfSignedTls(dir);
  t.equal(made.state, 'created', 'a new CA in an empty directory');
  t.same((await readdir(dir)).sort(), ['ca.crt', 'private'], 'only ca.crt at the top: the directory works as a --cert-dir / certs.d entry');
  t.same((await readdir(join(dir, 'private'))).sort(), ['ca.key', 'server.crt', 'server.key'], 'the keys and the server certificate under private/');
  for (const f of ['private/ca.key', 'private/server.key']) t.equal((await stat(join(dir, f))).mode & 0o777, 0o600, `${f}: owner only`);
  t.equal((await stat(join(dir, 'private'))).mode & 0o777, 0o700, 'private/: owner only');

  const ca = new X509Certificate(await readFile(made.caFile, 'utf8'));
  const leaf = new X509Certificate(made.cert);
  t.ok(ca.ca, 'ca.crt is a CA certificate');
  t.notOk(leaf.ca, 'the server certificate is not a CA');
  t.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'the server certificate is signed by the CA');
  t.equal(leaf.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1', 'valid for localhost, 127.0.0.1 and ::1');
  t.match(leaf.keyUsage ?? [], ['1.3.6.1.5.5.7.3.1'], 'extended key usage: TLS server');

  const again = await selfSignedTls(dir);
  t.equal(again.state, 'reused', 'both kept on the next start');
  t.equal(again.cert, made.cert, 'the same certificate on the next start');
  t.equal(again.key, made.key, 'and the same key');

  const wider = await selfSignedTls(dir, { hosts: ['localhost', '127.0.0.1', '::1', 'registry.test', '10.1.2.3'] });
  t.equal(wider.state, 'renewed', 'a host the certificate lacks: a new server certificate');
  t.equal(await readFile(wider.caFile, 'utf8'), await readFile(made.caFile, 'utf8'), 'from the same CA (clients keep trusting it)');
  t.match(new X509Certificate(wider.cert).subjectAltName, /DNS:registry\.test.*IP Address:10\.1\.2\.3/, 'the new certificate names the added hosts');

  // Near its end: renewed at start, not served until it expires under the clients.
  const later = new Date(Date.now() + 800 * 86_400_000);
  t.equal((await selfSignedTls(dir, { hosts: wider.hosts, now: later })).state, 'renewed', 'a certificate with under 30 days left is replaced');
});

t.test('a directory this did not make is refused, not overwritten', async (t) => {
  const root = await tempDir(t);
  const onlyCa = join(root, 'only-ca');
  await selfSignedTls(onlyCa);
  await rm(join(onlyCa, 'private', 'ca.key'));
  await t.rejects(selfSignedTls(onlyCa), { name: 'TlsConfigError', message: /ca\.crt is there but .*ca\.key is not/ });
  const garbage = join(root, 'garbage');
  await selfSignedTls(garbage);
  await writeFile(join(garbage, 'ca.crt'), 'not a certificate\n');
  await t.rejects(selfSignedTls(garbage), { name: 'TlsConfigError', message: /ca\.crt holds no PEM certificate/ });
  t.equal(await readFile(join(garbage, 'ca.crt'), 'utf8'), 'not a certificate\n', 'left as it was');
});

t.test('--tls-cert/--tls-key files are checked before the server starts', async (t) => {
  const dir = await tempDir(t);
  const a = await selfSignedTls(join(dir, 'a'));
  const b = await selfSignedTls(join(dir, 'b'));
  const f = (name: string, text: string) => writeFile(join(dir, name), text).then(() => join(dir, name));
  const certA = await f('a.crt', a.cert);
  const keyA = await f('a.key', a.key);
  const keyB = await f('b.key', b.key);
  t.same(await loadTlsFiles(certA, keyA), { cert: a.cert, key: a.key }, 'a matching certificate and key are taken');

  const old = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const expired = await f('expired.crt', selfSignedCertificate(old.privateKey, old.publicKey, { commonName: 'old', days: 1, now: new Date('2020-01-01') }));
  const oldKey = await f('old.key', old.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  const encrypted = await f('enc.key', old.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'x' }) as string);
  const cases: Array<[string, string, RegExp]> = [
    [join(dir, 'missing.crt'), keyA, /TLS certificate .*missing\.crt: no such file/],
    [certA, join(dir, 'missing.key'), /TLS key .*missing\.key: no such file/],
    [keyA, keyA, /a\.key holds no PEM certificate/],
    [certA, certA, /a\.crt is not a PEM private key/],
    [certA, keyB, /b\.key is not the private key of the certificate in .*a\.crt/],
    [expired, oldKey, /expired\.crt: the certificate expired on 2020-01-0/],
    [certA, encrypted, /enc\.key is an encrypted private key/],
    [dir, keyA, /TLS certificate .*: is a directory/],
  ];
  for (const [cert, key, message] of cases) await t.rejects(loadTlsFiles(cert, key), { name: 'TlsConfigError', message }, `${cert} + ${key}`);
});

t.test('the registry serves HTTPS: trusted with the CA, refused without it', async (t) => {
  const tls = await selfSignedTls(join(await tempDir(t), 'tls'));
  const server = await startReferenceServer({ tls });
  t.teardown(() => server.close());
  t.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'the URL says https');
  const ca = await readFile(tls.caFile, 'utf8');
  t.same(await get(`${server.url}/v2/`, ca), { status: 200 }, 'by address, with the CA');
  t.same(await get(`https://localhost:${server.port}/v2/`, ca), { status: 200 }, 'by name, with the CA');
  t.same(await get(`${server.url}/v2/`), { error: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'not trusted without the CA');
});

t.test('skopeo copies to and from the HTTPS registry trusting the CA (--dest-cert-dir, --src-cert-dir)', async (t) => {
  if (!requirePeers(t, 'skopeo', 'umoci')) return;
  const dir = await tempDir(t);
  const tls = await selfSignedTls(join(dir, 'tls'));
  const server = await startReferenceServer({ tls });
  t.teardown(() => server.close());
  const image = await buildOciImage(join(dir, 'src'), 'v1', [0, 1024 * 1024]);
  const ref = `docker://127.0.0.1:${server.port}/tls/skopeo`;
  const noAuth = join(dir, 'no-auth.json');

  await t.rejects(
    tool('skopeo', ['copy', '-q', '--dest-authfile', noAuth, `oci:${image.layout}:v1`, `${ref}:v1`]),
    /x509: certificate signed by unknown authority/,
    'without the CA skopeo refuses the registry (verification is on)',
  );
  await tool('skopeo', ['copy', '-q', '--dest-authfile', noAuth, '--dest-cert-dir', tls.dir, `oci:${image.layout}:v1`, `${ref}:v1`], 180_000);
  const out = join(dir, 'pulled');
  await tool('skopeo', ['copy', '-q', '--src-authfile', noAuth, '--src-cert-dir', tls.dir, `${ref}:v1`, `oci:${out}:v1`], 180_000);
  t.equal(await layoutTagDigest(out, 'v1'), image.manifestDigest, 'pulled the manifest that was pushed');
  const { blobs, bad } = await corruptBlobs(out);
  t.same(bad, [], `all ${blobs} pulled blobs hash to their names`);
  t.equal(blobs, 4, 'manifest, config and both layers');
});

t.test('podman pushes to and pulls from the HTTPS registry trusting the CA (--cert-dir)', async (t) => {
  if (!requirePeers(t, 'podman', 'umoci')) return;
  const dir = await tempDir(t);
  const tls = await selfSignedTls(join(dir, 'tls'));
  const server = await startReferenceServer({ tls });
  t.teardown(() => server.close());
  // podman's configuration, storage and auth all in a throw-away directory (runc, vfs, no systemd).
  const box = await createSandbox();
  t.teardown(() => box.remove());
  const podman = async (args: string[], timeoutMs = 120_000): Promise<string> => {
    const r = await box.exec('podman', [...box.containersFlags, ...args], { timeoutMs });
    if (r.code !== 0) throw new Error(`${r.command}: ${outputTail(r)}`);
    return r.stdout;
  };
  // Under the sandbox: its name is lower case, as podman names an image pulled from oci:DIR after DIR.
  const image = await buildOciImage(join(box.dir, 'work', 'src'), 'v1', [512 * 1024]);
  const id = (await podman(['pull', '-q', `oci:${image.layout}:v1`])).trim();
  t.match(id, /^[0-9a-f]{64}$/, 'the source image is in podman');
  const layers = (await podman(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', id])).trim();
  const ref = `127.0.0.1:${server.port}/tls/podman:v1`;

  await t.rejects(podman(['push', id, `docker://${ref}`]), /x509: certificate signed by unknown authority/, 'without the CA podman refuses the registry');
  await podman(['push', '--cert-dir', tls.dir, id, `docker://${ref}`], 180_000);
  await podman(['rmi', '-f', id]);
  await podman(['pull', '-q', '--cert-dir', tls.dir, ref], 180_000);
  t.equal((await podman(['image', 'inspect', '--format', '{{.Id}}', ref])).trim(), id, 'the pulled image has the pushed config (same image id)');
  t.equal((await podman(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref])).trim(), layers, 'and the same layer content (diff ids, checked by podman on pull)');
});
