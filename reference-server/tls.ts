// HTTPS for the reference registry: a certificate and key given as PEM files, or a private CA and a
// server certificate made once into a directory (`serve --tls-self-signed DIR`) and reused after.
//
// The directory is laid out so that it can be handed to clients as is: only `ca.crt` at the top
// (containers/image and docker read every top-level *.crt as a CA and refuse a *.key without its
// *.cert, so `--cert-dir DIR` and `/etc/docker/certs.d/HOST:PORT/` take it), the keys under private/.
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { writeAtomic } from './auth/keys.js';
import { selfSignedCertificate, serverCertificate } from './auth/x509.js';

/** PEM text for node:https createServer(). */
export interface TlsCredentials {
  /** The server certificate, followed by any intermediates. */
  cert: string;
  key: string;
}

/** A problem with the TLS files, said in one line for the user. */
export class TlsConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

/** What a client may call a registry on this machine. */
export const DEFAULT_TLS_HOSTS = ['localhost', '127.0.0.1', '::1'];

/** The certificate and key files, checked: PEM, the key belongs to the certificate, not expired. */
export async function loadTlsFiles(certFile: string, keyFile: string, now = new Date()): Promise<TlsCredentials> {
  const cert = await readText(certFile, 'TLS certificate');
  const key = await readText(keyFile, 'TLS key');
  const leaf = parseCertificate(cert, certFile);
  const privateKey = parseKey(key, keyFile);
  if (!leaf.checkPrivateKey(privateKey)) throw new TlsConfigError(`${keyFile} is not the private key of the certificate in ${certFile} (public keys differ)`);
  checkValidity(leaf, certFile, now);
  try {
    createSecureContext({ cert, key });
  } catch (err) {
    throw new TlsConfigError(`${certFile} / ${keyFile}: not usable for TLS (${(err as Error).message})`);
  }
  return { cert, key };
}

export interface SelfSignedTls extends TlsCredentials {
  dir: string;
  /** What clients trust: DIR/ca.crt. */
  caFile: string;
  /** Names and addresses the server certificate is valid for. */
  hosts: string[];
  /** created: a new CA; renewed: the CA kept, a new server certificate; reused: both kept. */
  state: 'created' | 'renewed' | 'reused';
}

const CA_CN = 'regprobe local registry CA';
// A server certificate closer than this to its end is replaced at start (the CA stays).
const RENEW_BEFORE_MS = 30 * 86_400_000;

/**
 * DIR/ca.crt and DIR/private/{ca.key,server.crt,server.key}: made when absent; reused when present,
 * with a new server certificate from the same CA when the old one is near its end or lacks a host.
 */
export async function selfSignedTls(dir: string, opts: { hosts?: string[]; now?: Date } = {}): Promise<SelfSignedTls> {
  const now = opts.now ?? new Date();
  const hosts = [...new Set(opts.hosts ?? DEFAULT_TLS_HOSTS)];
  const files = {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'private', 'ca.key'),
    cert: join(dir, 'private', 'server.crt'),
    key: join(dir, 'private', 'server.key'),
  };
  const notDir = await stat(dir).then((st) => !st.isDirectory(), () => false);
  if (notDir) throw new TlsConfigError(`--tls-self-signed ${dir}: not a directory`);
  const caCertPem = await readIfPresent(files.caCert);
  const caKeyPem = await readIfPresent(files.caKey);
  if ((caCertPem === undefined) !== (caKeyPem === undefined)) {
    const [has, lacks] = caCertPem === undefined ? [files.caKey, files.caCert] : [files.caCert, files.caKey];
    throw new TlsConfigError(`--tls-self-signed ${dir}: ${has} is there but ${lacks} is not (not a directory this made; use an empty or new one)`);
  }

  let ca: { cert: X509Certificate; privateKey: KeyObject; publicKey: KeyObject };
  let state: SelfSignedTls['state'];
  if (caCertPem !== undefined && caKeyPem !== undefined) {
    const cert = parseCertificate(caCertPem, files.caCert);
    const privateKey = parseKey(caKeyPem, files.caKey);
    if (!cert.ca || !cert.checkPrivateKey(privateKey)) throw new TlsConfigError(`--tls-self-signed ${dir}: ${files.caCert} is not a CA certificate of ${files.caKey}`);
    checkValidity(cert, files.caCert, now);
    ca = { cert, privateKey, publicKey: createPublicKey(privateKey) };
    state = 'reused';
  } else {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pem = selfSignedCertificate(pair.privateKey, pair.publicKey, { commonName: CA_CN, now });
    // The directory stays readable (ca.crt is for everyone); private/ is the owner's only.
    await mkdir(dir, { recursive: true });
    await mkdir(join(dir, 'private'), { recursive: true, mode: 0o700 });
    await writeAtomic(files.caKey, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
    await writeAtomic(files.caCert, pem, 0o644);
    ca = { cert: new X509Certificate(pem), ...pair };
    state = 'created';
  }

  const certPem = await readIfPresent(files.cert);
  const keyPem = await readIfPresent(files.key);
  if (state === 'reused' && certPem !== undefined && keyPem !== undefined && serverCertFits(certPem, keyPem, ca.cert, hosts, now)) {
    return { cert: certPem, key: keyPem, dir, caFile: files.caCert, hosts, state };
  }
  const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cert = serverCertificate(pair.publicKey, {
    commonName: hosts[0] ?? 'localhost',
    hosts,
    issuerCommonName: ca.cert.subject.replace(/^CN=/, ''),
    issuerKey: ca.privateKey,
    issuerPublicKey: ca.publicKey,
    now,
  });
  const key = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  await mkdir(join(dir, 'private'), { recursive: true, mode: 0o700 });
  await writeAtomic(files.key, key, 0o600);
  await writeAtomic(files.cert, cert, 0o644);
  return { cert, key, dir, caFile: files.caCert, hosts, state: state === 'created' ? 'created' : 'renewed' };
}

/** A kept server certificate is used again only when it is ours, whole, current and covers every host. */
function serverCertFits(certPem: string, keyPem: string, ca: X509Certificate, hosts: string[], now: Date): boolean {
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey) || !cert.checkPrivateKey(createPrivateKey(keyPem))) return false;
    if (Date.parse(cert.validTo) - now.getTime() < RENEW_BEFORE_MS || Date.parse(cert.validFrom) > now.getTime()) return false;
    return hosts.every((h) => (isIP(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h) !== undefined));
  } catch {
    return false;
  }
}

function parseCertificate(pem: string, file: string): X509Certificate {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new TlsConfigError(`${file} holds no PEM certificate`);
  try {
    return new X509Certificate(pem);
  } catch {
    throw new TlsConfigError(`${file}: the PEM certificate does not parse`);
  }
}

function parseKey(pem: string, file: string): KeyObject {
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(pem)) throw new TlsConfigError(`${file} is an encrypted private key; give it unencrypted (readable by this user only)`);
  try {
    return createPrivateKey(pem);
  } catch {
    throw new TlsConfigError(`${file} is not a PEM private key (PKCS#8, SEC1 or PKCS#1)`);
  }
}

function checkValidity(cert: X509Certificate, file: string, now: Date): void {
  if (Date.parse(cert.validTo) < now.getTime()) throw new TlsConfigError(`${file}: the certificate expired on ${new Date(cert.validTo).toISOString()}`);
  if (Date.parse(cert.validFrom) > now.getTime()) throw new TlsConfigError(`${file}: the certificate is not valid before ${new Date(cert.validFrom).toISOString()}`);
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (code ?? 'cannot be read');
    throw new TlsConfigError(`${what} ${file}: ${why}`);
  }
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TlsConfigError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
}
