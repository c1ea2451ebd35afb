// A minimal DER writer for two things: the self-signed X.509 certificate of the token signing key, and
// the CA + server certificate of `serve --tls-self-signed`. Node can parse certificates but not make
// them; distribution needs one (its `rootcertbundle`, and the `x5c` header of every token), and TLS
// clients need a CA they can trust, so we write the few ASN.1 structures RFC 5280 asks for.
import { isIPv4, isIPv6 } from 'node:net';
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
  authorityKeyId: '2.5.29.35',
  subjectAltName: '2.5.29.17',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
};

export interface CertificateOptions {
  commonName: string;
  /** Validity, days from now (default 3650). */
  days?: number;
  now?: Date;
}

/** A self-signed certificate (PEM) for this key pair; ECDSA P-256 or RSA keys. */
export function selfSignedCertificate(privateKey: KeyObject, publicKey: KeyObject, opts: CertificateOptions): string {
  return writeCertificate({
    subjectPublicKey: publicKey,
    issuerKey: privateKey,
    subject: opts.commonName,
    issuer: opts.commonName,
    days: opts.days ?? 3650,
    now: opts.now,
    extensions: (skid) => [
      seq(oid(OID.basicConstraints), bool(true), octets(seq(bool(true)))),
      // digitalSignature (bit 0) and keyCertSign (bit 5): 1000 0100, 2 unused bits
      seq(oid(OID.keyUsage), bool(true), octets(bits(Buffer.from([0x84]), 2))),
      seq(oid(OID.subjectKeyId), octets(octets(skid))),
    ],
  });
}

export interface ServerCertificateOptions {
  commonName: string;
  /** DNS names and IP addresses (v4 or v6) the certificate is valid for (subjectAltName). */
  hosts: string[];
  /** The CA: its certificate's subject common name and its private key. */
  issuerCommonName: string;
  issuerKey: KeyObject;
  issuerPublicKey: KeyObject;
  /** Validity, days from now (default 825, what browsers and Apple platforms still accept). */
  days?: number;
  now?: Date;
}

/** A TLS server certificate (PEM) for `publicKey`, signed by a CA made with selfSignedCertificate(). */
export function serverCertificate(publicKey: KeyObject, opts: ServerCertificateOptions): string {
  const altNames = opts.hosts.map((h) => {
    // GeneralName: dNSName [2] IA5String, iPAddress [7] OCTET STRING (4 or 16 bytes)
    if (isIPv4(h)) return tlv(0x87, Buffer.from(h.split('.').map(Number)));
    if (isIPv6(h)) return tlv(0x87, ipv6Bytes(h));
    return tlv(0x82, Buffer.from(h, 'ascii'));
  });
  const authorityKeyId = keyIdentifier(opts.issuerPublicKey);
  return writeCertificate({
    subjectPublicKey: publicKey,
    issuerKey: opts.issuerKey,
    subject: opts.commonName,
    issuer: opts.issuerCommonName,
    days: opts.days ?? 825,
    now: opts.now,
    extensions: (skid) => [
      seq(oid(OID.basicConstraints), bool(true), octets(seq())),
      // digitalSignature (bit 0); an RSA key also keyEncipherment (bit 2, RSA key exchange)
      publicKey.asymmetricKeyType === 'rsa'
        ? seq(oid(OID.keyUsage), bool(true), octets(bits(Buffer.from([0xa0]), 5)))
        : seq(oid(OID.keyUsage), bool(true), octets(bits(Buffer.from([0x80]), 7))),
      seq(oid(OID.extKeyUsage), octets(seq(oid(OID.serverAuth)))),
      seq(oid(OID.subjectAltName), octets(seq(...altNames))),
      seq(oid(OID.subjectKeyId), octets(octets(skid))),
      seq(oid(OID.authorityKeyId), octets(seq(tlv(0x80, authorityKeyId)))),
    ],
  });
}

interface CertificateFields {
  subjectPublicKey: KeyObject;
  issuerKey: KeyObject;
  subject: string;
  issuer: string;
  days: number;
  now?: Date;
  /** Given the subject key identifier. */
  extensions: (subjectKeyId: Buffer) => Buffer[];
}

function writeCertificate(f: CertificateFields): string {
  const type = f.issuerKey.asymmetricKeyType;
  if (type !== 'ec' && type !== 'rsa') throw new Error(`unsupported key type ${type}: use an EC P-256 or RSA key`);
  const sigAlg = type === 'ec' ? seq(oid(OID.ecdsaWithSHA256)) : seq(oid(OID.sha256WithRSA), NULL);
  const name = (cn: string) => seq(set(seq(oid(OID.commonName), utf8(cn))));
  const now = f.now ?? new Date();
  // An hour back: a peer whose clock runs a little behind still accepts it.
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + f.days * 86_400_000);
  const spki = f.subjectPublicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  const tbs = seq(
    explicit(0, int(Buffer.from([2]))),
    int(serial),
    sigAlg,
    name(f.issuer),
    seq(time(notBefore), time(notAfter)),
    name(f.subject),
    spki,
    explicit(3, seq(...f.extensions(keyIdentifier(f.subjectPublicKey)))),
  );
  const signature = sign('sha256', tbs, f.issuerKey);
  const der = seq(tbs, sigAlg, bits(signature));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

/** RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  return createHash('sha1').update(subjectPublicKeyBits(publicKey.export({ type: 'spki', format: 'der' }))).digest();
}

function ipv6Bytes(address: string): Buffer {
  // The URL parser writes every IPv6 form (embedded IPv4 too) as hex groups with at most one '::'.
  const addr = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const [head = '', tail] = addr.split('::') as [string, string | undefined];
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
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
