// Bearer tokens as distribution issues and checks them (distribution-auth-jwt.md): a JWS with `typ`,
// `alg`, `kid` (libtrust form) and `x5c`; claims iss, sub, aud (a string, as distribution 2.8
// reads it), exp, nbf, iat, jti and `access`. Verification refuses alg none, keys other than ours,
// other issuers and audiences, and times outside exp/nbf/iat with a small leeway.
import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { SigningKey } from './keys.js';

export interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

export interface IssueOptions {
  issuer: string;
  audience: string;
  /** The account, or "" for an anonymous client. */
  subject: string;
  access: AccessEntry[];
  ttlSec: number;
  /** Epoch seconds (tests). */
  now?: number;
}

export async function issueToken(key: SigningKey, o: IssueOptions): Promise<{ token: string; issuedAt: number }> {
  const now = o.now ?? Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ access: o.access })
    .setProtectedHeader({ typ: 'JWT', alg: key.alg, kid: key.kid, x5c: [key.certB64] })
    .setIssuer(o.issuer)
    .setSubject(o.subject)
    .setAudience(o.audience)
    .setExpirationTime(now + o.ttlSec)
    .setNotBefore(now)
    .setIssuedAt(now)
    .setJti(randomBytes(16).toString('base64url'))
    .sign(key.privateKey);
  return { token, issuedAt: now };
}

export interface VerifyOptions {
  issuer: string;
  audience: string;
  /** Clock skew allowed on exp, nbf and iat, seconds (default 30). */
  leewaySec?: number;
  /** Epoch seconds (tests). */
  now?: number;
}

export type Verified = { ok: true; subject: string; access: AccessEntry[] } | { ok: false; reason: string };

/** Longer than any token we issue by far; bounds the work a garbage header can cause. */
export const MAX_TOKEN_LENGTH = 8192;

export async function verifyToken(token: string, key: SigningKey, o: VerifyOptions): Promise<Verified> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'token too long' };
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token)) return { ok: false, reason: 'malformed token' };
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(token);
  } catch {
    return { ok: false, reason: 'malformed token header' };
  }
  if (header.alg !== key.alg) return { ok: false, reason: `algorithm ${String(header.alg)} not accepted` };
  // Which key signed it: distribution looks at x5c, then jwk, then kid; we trust exactly one key.
  const x5c = header.x5c;
  if (x5c !== undefined) {
    if (!Array.isArray(x5c) || x5c[0] !== key.certB64) return { ok: false, reason: 'signed by an unknown certificate' };
  } else if (header.kid !== undefined) {
    if (header.kid !== key.kid) return { ok: false, reason: 'signed by an unknown key id' };
  } else return { ok: false, reason: 'no x5c or kid: signing key unknown' };
  const leeway = o.leewaySec ?? 30;
  const now = o.now ?? Math.floor(Date.now() / 1000);
  let payload: Record<string, unknown>;
  try {
    const r = await jwtVerify(token, key.publicKey, {
      algorithms: [key.alg],
      issuer: o.issuer,
      audience: o.audience,
      clockTolerance: leeway,
      currentDate: new Date(now * 1000),
      requiredClaims: ['exp', 'iss', 'aud'],
    });
    payload = r.payload as Record<string, unknown>;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) return { ok: false, reason: 'token expired' };
    if (err instanceof joseErrors.JWTClaimValidationFailed) return { ok: false, reason: `claim ${err.claim} refused (${err.reason})` };
    if (err instanceof joseErrors.JWSSignatureVerificationFailed) return { ok: false, reason: 'bad signature' };
    return { ok: false, reason: 'invalid token' };
  }
  if (typeof payload.iat === 'number' && payload.iat > now + leeway) return { ok: false, reason: 'issued in the future' };
  const access = parseAccessClaim(payload.access);
  if (!access) return { ok: false, reason: 'malformed access claim' };
  return { ok: true, subject: typeof payload.sub === 'string' ? payload.sub : '', access };
}

function parseAccessClaim(v: unknown): AccessEntry[] | null {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return null;
  const out: AccessEntry[] = [];
  for (const e of v) {
    if (!e || typeof e !== 'object') return null;
    const { type, name, actions } = e as Record<string, unknown>;
    if (typeof type !== 'string' || typeof name !== 'string' || !Array.isArray(actions) || !actions.every((a) => typeof a === 'string')) return null;
    out.push({ type, name, actions: actions as string[] });
  }
  return out;
}
