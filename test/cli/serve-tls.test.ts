// `regprobe serve --tls-self-signed DIR` / `--tls-cert --tls-key`: the flags, the trust instructions
// it prints, a full `regprobe conformance https://... --ca-file DIR/ca.crt` run against it, reuse of
// the CA on restart, and one-line refusals (exit 2) of bad TLS arguments and files.
import t, { type Test } from 'tap';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tlsFrom, trustInstructions } from '../../src/cli/serve-tls.js';
import { CliError } from '../../src/cli/exit.js';
import { selfSignedTls } from '../../reference-server/tls.js';
import { parseConformanceReport } from '../../src/report/conformance-load.js';
import { killChild, runCli, startServeChild } from '../helpers/cli-child.js';

async function tempDir(t: Test): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'regprobe-serve-tls-'));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

t.test('TLS arguments: combinations and files are checked, each refusal one line', async (t) => {
  const dir = await tempDir(t);
  const made = await selfSignedTls(join(dir, 'ok'));
  await writeFile(join(dir, 'cert.pem'), made.cert);
  await writeFile(join(dir, 'key.pem'), made.key);
  await writeFile(join(dir, 'junk.pem'), 'hello\n');
  t.equal(await tlsFrom({}, '127.0.0.1'), undefined, 'no TLS flags: plain HTTP');
  t.same((await tlsFrom({ 'tls-cert': join(dir, 'cert.pem'), 'tls-key': join(dir, 'key.pem') }, '127.0.0.1'))?.tls, { cert: made.cert, key: made.key }, 'own certificate and key');
  const cases: Array<[Parameters<typeof tlsFrom>[0], RegExp]> = [
    [{ 'tls-cert': join(dir, 'cert.pem') }, /^--tls-cert needs --tls-key/],
    [{ 'tls-key': join(dir, 'key.pem') }, /^--tls-key needs --tls-cert/],
    [{ 'tls-self-signed': dir, 'tls-cert': join(dir, 'cert.pem') }, /^--tls-self-signed cannot be combined with --tls-cert/],
    [{ 'tls-cert': join(dir, 'junk.pem'), 'tls-key': join(dir, 'key.pem') }, /junk\.pem holds no PEM certificate/],
    [{ 'tls-cert': join(dir, 'cert.pem'), 'tls-key': join(dir, 'junk.pem') }, /junk\.pem is not a PEM private key/],
    [{ 'tls-self-signed': join(dir, 'junk.pem') }, /^--tls-self-signed .*junk\.pem: not a directory$/],
  ];
  for (const [args, re] of cases) {
    const err = await tlsFrom(args, '127.0.0.1').then(() => undefined, (e: unknown) => e);
    t.ok(err instanceof CliError, `${JSON.stringify(args)}: a CliError (exit 2)`);
    t.match((err as Error).message, re, `${JSON.stringify(args)}: says why`);
    t.notMatch((err as Error).message, /\n/, 'one line');
  }
});

t.test('a specific --host is in the certificate; the trust lines name the address clients use', async (t) => {
  const dir = await tempDir(t);
  const s = (await tlsFrom({ 'tls-self-signed': join(dir, 'a') }, 'registry.test'))!.selfSigned!;
  t.same(s.hosts, ['localhost', '127.0.0.1', '::1', 'registry.test']);
  const lines = trustInstructions(s, 'registry.test', 5443);
  t.match(lines.join('\n'), `/etc/docker/certs.d/registry.test:5443/ca.crt`);
  const wildcard = (await tlsFrom({ 'tls-self-signed': join(dir, 'b') }, '0.0.0.0'))!.selfSigned!;
  t.same(wildcard.hosts, ['localhost', '127.0.0.1', '::1'], 'a wildcard listen address is no name');
  t.match(trustInstructions(wildcard, '0.0.0.0', 5443).join('\n'), '/etc/docker/certs.d/localhost:5443/', 'reached as localhost');
});

t.test('serve --tls-self-signed: trust instructions, conformance passes with --ca-file, the CA is reused on restart', async (t) => {
  const dir = await tempDir(t);
  const tlsDir = join(dir, 'tls');
  const server = await startServeChild(['--port', '0', '--log-format', 'none', '--tls-self-signed', tlsDir]);
  t.teardown(() => killChild(server));
  t.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/, 'listening on https');
  const hostPort = server.url.replace('https://', '');
  await server.waitFor(/--ca-file .*\n/);
  const out = server.stdout();
  t.match(out, `TLS: certificate for localhost, 127.0.0.1, ::1 signed by the CA ${tlsDir}/ca.crt (new CA)`);
  t.match(out, `mkdir -p /etc/docker/certs.d/${hostPort} && cp ${tlsDir}/ca.crt /etc/docker/certs.d/${hostPort}/ca.crt`, 'docker: certs.d');
  t.match(out, `--cert-dir ${tlsDir}`, 'podman/skopeo: --cert-dir');
  t.match(out, 'update-ca-certificates', 'the system store');
  t.match(out, `--ca-file ${tlsDir}/ca.crt`, 'regprobe');
  const ca = await readFile(join(tlsDir, 'ca.crt'), 'utf8');

  const reports = join(dir, 'reports');
  const run = await runCli(['conformance', server.url, '--ca-file', join(tlsDir, 'ca.crt'), '--report-dir', reports, '--format', 'json', '-q'], { timeoutMs: 180_000 });
  t.equal(run.code, 0, `conformance over TLS passes (stderr: ${run.stderr.slice(-500)})`);
  const report = parseConformanceReport(await readFile(join(reports, 'conformance.json'), 'utf8'));
  t.match(report.target.url, /^https:\/\/127\.0\.0\.1:/, `the report names the https URL (${report.target.url})`);
  t.equal(report.summary.failed, 0, 'no case failed');
  t.ok(report.summary.passed > 50, `${report.summary.passed} cases passed`);

  server.signal('SIGTERM');
  t.equal((await server.exited).code, 0, 'stops cleanly');
  const again = await startServeChild(['--port', '0', '--log-format', 'none', '--tls-self-signed', tlsDir]);
  t.teardown(() => killChild(again));
  await again.waitFor(/CA and certificate reused/);
  t.equal(await readFile(join(tlsDir, 'ca.crt'), 'utf8'), ca, 'the same CA: clients that trust it keep working');
  again.signal('SIGTERM');
  await again.exited;
});

t.test('the CLI exits 2 with one line for bad TLS input', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'junk.pem'), 'hello\n');
  const cases: Array<[string[], RegExp]> = [
    [['--tls-cert', join(dir, 'junk.pem'), '--tls-key', join(dir, 'junk.pem')], /^regprobe: .*junk\.pem holds no PEM certificate\n$/],
    [['--tls-key', join(dir, 'junk.pem')], /^regprobe: --tls-key needs --tls-cert/],
  ];
  const runs = await Promise.all(cases.map(([args]) => runCli(['serve', '--port', '0', ...args], { timeoutMs: 120_000 })));
  for (const [i, [args, re]] of cases.entries()) {
    t.equal(runs[i]!.code, 2, `serve ${args.join(' ')}: exit 2`);
    t.match(runs[i]!.stderr, re, 'says why');
    t.equal(runs[i]!.stderr.trim().split('\n').length, 1, 'one line, no stack trace');
  }
  const help = await runCli(['serve', '--help']);
  for (const flag of ['--tls-cert', '--tls-key', '--tls-self-signed']) t.match(help.stdout, flag, `--help documents ${flag}`);
});
