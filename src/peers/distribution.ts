// Starts Debian's CNCF distribution (`docker-registry`, 2.8) on a loopback port with a generated
// config: the real third-party registry the suites, benchmarks and auth interop are checked against.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { RegistryClient } from '../client/registry-client.js';

export interface DistributionOptions {
  binary?: string;
  host?: string;
  /** 0 or absent: a free port. */
  port?: number;
  auth?:
    | { mode: 'none' }
    | { mode: 'htpasswd'; htpasswdFile: string; realm?: string }
    | { mode: 'token'; realm: string; service: string; issuer: string; rootCertBundle: string };
  deleteEnabled?: boolean;
  tls?: { certFile: string; keyFile: string };
  /** Per-request access log (off by default: less CPU in benchmarks). */
  accessLog?: boolean;
  startTimeoutMs?: number;
}

export interface DistributionPeer {
  url: string;
  port: number;
  dir: string;
  logFile: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export const DEFAULT_BINARY = '/usr/bin/docker-registry';

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function configYaml(o: DistributionOptions, dir: string, addr: string): string {
  const lines = [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  formatter: text',
    '  accesslog:',
    `    disabled: ${o.accessLog ? 'false' : 'true'}`,
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'storage')}`,
    '  delete:',
    `    enabled: ${o.deleteEnabled === false ? 'false' : 'true'}`,
    '  cache:',
    '    blobdescriptor: inmemory',
    '  maintenance:',
    '    uploadpurging:',
    '      enabled: false',
    'http:',
    `  addr: ${addr}`,
    `  secret: ${randomBytes(24).toString('hex')}`,
    '  headers:',
    '    X-Content-Type-Options: [nosniff]',
  ];
  if (o.tls) lines.push('  tls:', `    certificate: ${o.tls.certFile}`, `    key: ${o.tls.keyFile}`);
  const a = o.auth;
  if (a?.mode === 'htpasswd') {
    lines.push('auth:', '  htpasswd:', `    realm: ${a.realm ?? 'regprobe-peer'}`, `    path: ${join(dir, 'htpasswd')}`);
  } else if (a?.mode === 'token') {
    lines.push(
      'auth:',
      '  token:',
      `    realm: "${a.realm}"`,
      `    service: "${a.service}"`,
      `    issuer: "${a.issuer}"`,
      `    rootcertbundle: ${a.rootCertBundle}`,
      '    autoredirect: false',
    );
  }
  return lines.join('\n') + '\n';
}

/** Starts the peer and waits until /v2/ answers 200 or 401. */
export async function startDistribution(o: DistributionOptions = {}): Promise<DistributionPeer> {
  const host = o.host ?? '127.0.0.1';
  const port = o.port || (await freePort(host));
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-distribution-'));
  await mkdir(join(dir, 'storage'));
  if (o.auth?.mode === 'htpasswd') await copyFile(o.auth.htpasswdFile, join(dir, 'htpasswd'));
  const config = join(dir, 'config.yml');
  await writeFile(config, configYaml(o, dir, `${host}:${port}`));
  const logFile = join(dir, 'registry.log');
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(logFile, 'a');
  const child = spawn(o.binary ?? DEFAULT_BINARY, ['serve', config], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited = false;
  child.once('exit', () => (exited = true));
  const url = `${o.tls ? 'https' : 'http'}://${host}:${port}`;

  const stop = async (): Promise<void> => {
    if (!exited) {
      const done = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (o.startTimeoutMs ?? 20_000);
  const probe = new RegistryClient({ baseUrl: url, insecure: true, timeoutMs: 1000, connections: 1 });
  for (;;) {
    if (exited) {
      await probe.close();
      const { readFile } = await import('node:fs/promises');
      const log = await readFile(logFile, 'utf8').catch(() => '');
      await rm(dir, { recursive: true, force: true });
      throw new Error(`docker-registry exited during startup: ${log.trim().split('\n').slice(-3).join(' | ')}`);
    }
    try {
      const r = await probe.request({ method: 'GET', path: '/v2/' });
      await r.dump();
      if (r.status === 200 || r.status === 401) break;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await probe.close();
      await stop();
      throw new Error(`docker-registry did not answer ${url}/v2/ within ${o.startTimeoutMs ?? 20_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await probe.close();
  return { url, port, dir, logFile, process: child, stop };
}
