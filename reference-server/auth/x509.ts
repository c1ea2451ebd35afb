// A minimal DER writer for one thing: the self-signed X.509 certificate of the token signing key.
// Node can parse certificates but not make them; distribution needs one (its `rootcertbundle`, and
// the `x5c` header of every token), so we write the few ASN.1 structures RFC 5280 asks for.
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n >>= 8;
  }
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), len(content.length), content]);
}

const seq = (...items: Buffer[]) => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]) => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer) => tlv(0xa0 + n, inner);
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer, unused = 0) => tlv(0x03, Buffer.concat([Buffer.from([unused]), b]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const NULL = Buffer.from([0x05, 0x00]);

function int(b: Buffer): Buffer {
  let v = b;
  while (v.length > 1 && v[0] === 0 && (v[1]! & 0x80) === 0) v = v.subarray(1);
  if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f];
    let v = p >>> 7;
    while (v > 0) {
      stack.unshift((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.push(...stack);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime through 2049, GeneralizedTime after (RFC 5280 4.1.2.5). */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
}

const OID = {
  commonName: '2.5.4.3',
  ecdsaWithSHA256: '1.2.840.10045.4.3.2',
  sha256WithRSA: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  subjectKeyId: '2.5.29.14',
};

export interface CertificateOptions {
  commonName: string;
  /** Validity, days from now (default 3650). */
  days?: number;
  now?: Date;
}

/** A self-signed certificate (PEM) for this key pair; ECDSA P-256 or RSA keys. */
export function selfSignedCertificate(privateKey: KeyObject, publicKey: KeyObject, opts: CertificateOptions): string {
  const type = privateKey.asymmetricKeyType;
  if (type !== 'ec' && type !== 'rsa') throw new Error(`unsupported key type ${type}: use an EC P-256 or RSA key`);
  const sigAlg = type === 'ec' ? seq(oid(OID.ecdsaWithSHA256)) : seq(oid(OID.sha256WithRSA), NULL);
  const name = seq(set(seq(oid(OID.commonName), utf8(opts.commonName))));
  const now = opts.now ?? new Date();
  // An hour back: a peer whose clock runs a little behind still accepts it.
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + (opts.days ?? 3650) * 86_400_000);
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const keyBits = subjectPublicKeyBits(spki);
  const extensions = seq(
    seq(oid(OID.basicConstraints), bool(true), octets(seq(bool(true)))),
    // digitalSignature (bit 0) and keyCertSign (bit 5): 1000 0100, 2 unused bits
    seq(oid(OID.keyUsage), bool(true), octets(bits(Buffer.from([0x84]), 2))),
    seq(oid(OID.subjectKeyId), octets(octets(createHash('sha1').update(keyBits).digest()))),
  );
  const tbs = seq(explicit(0, int(Buffer.from([2]))), int(serial), sigAlg, name, seq(time(notBefore), time(notAfter)), name, spki, explicit(3, extensions));
  const signature = sign('sha256', tbs, privateKey);
  const der = seq(tbs, sigAlg, bits(signature));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

/** The subjectPublicKey BIT STRING content (without the unused-bits byte) of an SPKI. */
function subjectPublicKeyBits(spki: Buffer): Buffer {
  // SEQUENCE { AlgorithmIdentifier, BIT STRING }: skip the outer header and the algorithm.
  let i = headerLength(spki, 0);
  i += headerLength(spki, i) + contentLength(spki, i);
  const h = headerLength(spki, i);
  return spki.subarray(i + h + 1, i + h + contentLength(spki, i));
}

function headerLength(b: Buffer, i: number): number {
  const l = b[i + 1]!;
  return l < 0x80 ? 2 : 2 + (l & 0x7f);
}

function contentLength(b: Buffer, i: number): number {
  const l = b[i + 1]!;
  if (l < 0x80) return l;
  let n = 0;
  for (let k = 0; k < (l & 0x7f); k++) n = (n << 8) | b[i + 2 + k]!;
  return n;
}
