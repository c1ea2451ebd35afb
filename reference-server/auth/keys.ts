// The token signing key and its certificate: given as PEM files, or generated once into the storage
// directory (so `regprobe serve` keeps the same key across restarts and a peer registry can be
// pointed at the certificate as its root cert bundle).
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selfSignedCertificate } from './x509.js';

export type SigningAlgorithm = 'ES256' | 'RS256';

export interface SigningKey {
  alg: SigningAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  certPem: string;
  /** base64 DER, as the `x5c` header carries it. */
  certB64: string;
  /** libtrust key id (what distribution 2.8 indexes its trusted keys by). */
  kid: string;
  /** Where the certificate is on disk, when it is (for a peer's rootcertbundle). */
  certFile?: string;
  keyFile?: string;
}

export interface SigningKeyOptions {
  keyFile?: string;
  certFile?: string;
  /** Where to keep a generated key and certificate (token-signing.key / .crt). */
  dir?: string;
  /** For a generated key (default ES256). */
  algorithm?: SigningAlgorithm;
  commonName?: string;
}

/** A configuration problem with the key material: one line for the user. */
export class KeyConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyConfigError';
  }
}

const KEY_NAME = 'token-signing.key';
const CERT_NAME = 'token-signing.crt';

export async function loadOrCreateSigningKey(opts: SigningKeyOptions = {}): Promise<SigningKey> {
  const cn = opts.commonName ?? 'regprobe token signer';
  if (opts.certFile && !opts.keyFile) throw new KeyConfigError('--token-cert needs --token-key (the private key of that certificate)');
  if (opts.keyFile) {
    const privateKey = parsePrivateKey(await readText(opts.keyFile, '--token-key'), opts.keyFile);
    const publicKey = createPublicKey(privateKey);
    if (opts.certFile) {
      const certPem = await readText(opts.certFile, '--token-cert');
      return build(privateKey, publicKey, firstCertificate(certPem, opts.certFile), { certFile: opts.certFile, keyFile: opts.keyFile });
    }
    const certPem = selfSignedCertificate(privateKey, publicKey, { commonName: cn });
    const certFile = opts.dir ? await writeAtomic(join(opts.dir, CERT_NAME), certPem, 0o644) : undefined;
    return build(privateKey, publicKey, certPem, { keyFile: opts.keyFile, ...(certFile ? { certFile } : {}) });
  }
  if (opts.dir) {
    const keyFile = join(opts.dir, KEY_NAME);
    const certFile = join(opts.dir, CERT_NAME);
    const existing = await readFile(keyFile, 'utf8').catch(() => undefined);
    if (existing !== undefined) {
      const privateKey = parsePrivateKey(existing, keyFile);
      const publicKey = createPublicKey(privateKey);
      let certPem = await readFile(certFile, 'utf8').catch(() => undefined);
      if (!certPem) {
        certPem = selfSignedCertificate(privateKey, publicKey, { commonName: cn });
        await writeAtomic(certFile, certPem, 0o644);
      }
      return build(privateKey, publicKey, firstCertificate(certPem, certFile), { keyFile, certFile });
    }
    const { privateKey, publicKey } = generate(opts.algorithm ?? 'ES256');
    const certPem = selfSignedCertificate(privateKey, publicKey, { commonName: cn });
    await mkdir(opts.dir, { recursive: true });
    await writeAtomic(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
    await writeAtomic(certFile, certPem, 0o644);
    return build(privateKey, publicKey, certPem, { keyFile, certFile });
  }
  const { privateKey, publicKey } = generate(opts.algorithm ?? 'ES256');
  return build(privateKey, publicKey, selfSignedCertificate(privateKey, publicKey, { commonName: cn }), {});
}

function generate(alg: SigningAlgorithm): { privateKey: KeyObject; publicKey: KeyObject } {
  return alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
}

function build(privateKey: KeyObject, publicKey: KeyObject, certPem: string, files: { certFile?: string; keyFile?: string }): SigningKey {
  const alg = algorithmOf(privateKey);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    throw new KeyConfigError(`${files.certFile ?? 'the token certificate'} is not a PEM certificate`);
  }
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  if (!cert.publicKey.export({ type: 'spki', format: 'der' }).equals(spki)) {
    throw new KeyConfigError(`${files.certFile ?? 'the token certificate'} is not the certificate of ${files.keyFile ?? 'the token key'} (public keys differ)`);
  }
  return { alg, privateKey, publicKey, certPem, certB64: cert.raw.toString('base64'), kid: libtrustKeyId(publicKey), ...files };
}

function algorithmOf(key: KeyObject): SigningAlgorithm {
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    if (curve !== 'prime256v1' && curve !== 'P-256') throw new KeyConfigError(`the token key is an EC key on ${curve}; use P-256 (ES256)`);
    return 'ES256';
  }
  if (key.asymmetricKeyType === 'rsa') return 'RS256';
  throw new KeyConfigError(`the token key is a ${key.asymmetricKeyType} key; use EC P-256 (ES256) or RSA (RS256)`);
}

function parsePrivateKey(pem: string, file: string): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    throw new KeyConfigError(`${file} is not a PEM private key (PKCS#8, SEC1 or PKCS#1)`);
  }
}

function firstCertificate(pem: string, file: string): string {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new KeyConfigError(`${file} holds no PEM certificate`);
  return `${m[0]}\n`;
}

async function readText(file: string, flag: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    throw new KeyConfigError(`${flag} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'cannot be read'}`);
  }
}

/** Write to a temp name then rename: a reader never sees half a key. */
export async function writeAtomic(file: string, text: string, mode: number): Promise<string> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  await rename(tmp, file);
  return file;
}

/**
 * libtrust's key id: SHA-256 of the DER SubjectPublicKeyInfo, first 240 bits, base32, in 12 groups
 * of 4 joined by `:` (docker/libtrust util.go keyIDFromCryptoKey).
 */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const b32 = base32(createHash('sha256').update(der).digest().subarray(0, 30));
  const groups: string[] = [];
  for (let i = 0; i < b32.length; i += 4) groups.push(b32.slice(i, i + 4));
  return groups.join(':');
}

function base32(b: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of b) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}
