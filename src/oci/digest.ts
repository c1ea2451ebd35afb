// Digest grammar and incremental hashing, shared by the client, the suites and the reference server.
import { createHash, type Hash } from 'node:crypto';

export type DigestAlgorithm = 'sha256' | 'sha512';

export interface ParsedDigest {
  algorithm: string;
  encoded: string;
}

// Grammar from the OCI image spec (descriptor.md): algorithm ":" encoded.
const DIGEST_RE = /^([a-z0-9]+(?:[.+_-][a-z0-9]+)*):([a-zA-Z0-9=_-]+)$/;
const ENCODED_RE: Record<DigestAlgorithm, RegExp> = {
  sha256: /^[a-f0-9]{64}$/,
  sha512: /^[a-f0-9]{128}$/,
};

/** Parses a digest string by the generic grammar; null when it does not match. */
export function parseDigest(value: string): ParsedDigest | null {
  const m = DIGEST_RE.exec(value);
  return m ? { algorithm: m[1]!, encoded: m[2]! } : null;
}

export function isSupportedAlgorithm(alg: string): alg is DigestAlgorithm {
  return alg === 'sha256' || alg === 'sha512';
}

export type DigestCheck =
  | { ok: true; algorithm: DigestAlgorithm; encoded: string }
  | { ok: false; reason: 'malformed' | 'unsupported-algorithm' };

/** Full validation: grammar, a registered algorithm we implement, and the algorithm's encoding. */
export function checkDigest(value: string): DigestCheck {
  const p = parseDigest(value);
  if (!p) return { ok: false, reason: 'malformed' };
  if (!isSupportedAlgorithm(p.algorithm)) return { ok: false, reason: 'unsupported-algorithm' };
  if (!ENCODED_RE[p.algorithm].test(p.encoded)) return { ok: false, reason: 'malformed' };
  return { ok: true, algorithm: p.algorithm, encoded: p.encoded };
}

export function isValidDigest(value: string): boolean {
  return checkDigest(value).ok;
}

/** One-shot digest of bytes already in memory (manifests, small blobs). */
export function digestOf(data: Uint8Array | string, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Incremental digester: feed bytes as they flow, read the digest at the end. */
export class Digester {
  readonly algorithm: DigestAlgorithm;
  private hash: Hash;
  private bytes = 0;
  constructor(algorithm: DigestAlgorithm = 'sha256') {
    this.algorithm = algorithm;
    this.hash = createHash(algorithm);
  }
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
  }
  get size(): number {
    return this.bytes;
  }
  /** Nothing to release: the hash state goes with the object. */
  abort(): void {}
  /** Finalizes; call once. */
  digest(): string {
    return `${this.algorithm}:${this.hash.digest('hex')}`;
  }
  /** A copy that can be finalized while this one keeps going (resumable upload state). */
  copy(): Digester {
    const d = Object.create(Digester.prototype) as Digester;
    (d as { algorithm: DigestAlgorithm }).algorithm = this.algorithm;
    d.hash = this.hash.copy();
    d.bytes = this.bytes;
    return d;
  }
}
