// Misbehaving "registries" on 127.0.0.1 for runner and CLI tests: GET /v2/ answers 200 (so a run
// starts), every other request hangs, resets, answers garbage or 404; or /v2/ itself asks for Basic
// credentials. Optionally over TLS with a throw-away self-signed certificate made with openssl.
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export type BrokenMode = 'hang' | 'reset' | 'garbage' | 'not-found' | 'basic-auth';

export interface BrokenTarget {
  url: string;
  /** Requests seen, as `METHOD path`. */
  seen: string[];
  close(): Promise<void>;
}

export const BROKEN_SERVER_HEADER = 'broken-target/1.0';
export const BASIC_USER = 'probe';
export const BASIC_PASSWORD = 's3cret';

export async function startBrokenTarget(mode: BrokenMode, tls?: { key: string; cert: string }): Promise<BrokenTarget> {
  const seen: string[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume();
    const headers = { server: BROKEN_SERVER_HEADER, 'docker-distribution-api-version': 'registry/2.0' };
    if (mode === 'basic-auth') {
      const want = `Basic ${Buffer.from(`${BASIC_USER}:${BASIC_PASSWORD}`).toString('base64')}`;
      if (req.headers.authorization !== want) {
        res.writeHead(401, { ...headers, 'www-authenticate': 'Basic realm="broken"', 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"who are you"}]}');
        return;
      }
    }
    if (req.url === '/v2/' || req.url === '/v2') {
      res.writeHead(200, { ...headers, 'content-type': 'application/json' });
      res.end('{}');
      return;
    }
    switch (mode) {
      case 'hang':
        return; // never answer
      case 'reset':
        req.socket.destroy();
        return;
      case 'garbage':
        req.socket.end('THIS IS NOT HTTP\r\n\r\n\u0000\u0001garbage');
        return;
      default:
        res.writeHead(404, { ...headers, 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"NAME_UNKNOWN","message":"nothing here"}]}');
    }
  };
  const server: Server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, handler) : createHttpServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A self-signed certificate for 127.0.0.1 (openssl), in a temp dir removed by `cleanup`. */
export async function selfSignedCert(): Promise<{ key: string; cert: string; certFile: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
  ], { stdio: 'ignore', timeout: 30_000 });
  return {
    key: await readFile(keyFile, 'utf8'),
    cert: await readFile(certFile, 'utf8'),
    certFile,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = createHttpServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
