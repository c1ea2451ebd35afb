// Token signing material and JWT verification of the reference registry: certificates distribution
// can trust, the libtrust key id, and every way a token must be refused.
import t from 'tap';
import { createPublicKey, generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { KeyConfigError, libtrustKeyId, loadOrCreateSigningKey, type SigningKey } from '../../../reference-server/auth/keys.js';
import { issueToken, verifyToken } from '../../../reference-server/auth/jwt.js';

async function tempDir(t: { teardown(fn: () => unknown): void }): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'regprobe-keys-'));
  t.teardown(() => rm(d, { recursive: true, force: true }));
  return d;
}

t.test('libtrust key id matches the example of distribution-auth-jwt.md', async (t) => {
  const k = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: 'm7zUpx3b-zmVE5cymSs64POG9QcyEpJaYCD82-549_Q', y: 'dU3biz8sZ_8GPB-odm8Wxz3lNDr1xcAQQPQaOcr1fmc' }, format: 'jwk' });
  t.equal(libtrustKeyId(k), 'PYYO:TEWU:V7JH:26JV:AQTZ:LJC3:SXVJ:XGHA:34F2:2LAQ:ZRMK:Z7Q6');
});

t.test('generated ES256 and RS256 keys: self-signed CA certificate, persisted and reused', async (t) => {
  for (const algorithm of ['ES256', 'RS256'] as const) {
    const dir = await tempDir(t);
    const k = await loadOrCreateSigningKey({ dir, algorithm });
    t.equal(k.alg, algorithm);
    const cert = new X509Certificate(k.certPem);
    t.ok(cert.verify(k.publicKey), `${algorithm}: self-signed`);
    t.ok(cert.ca, `${algorithm}: a CA certificate (usable as a root bundle)`);
    t.ok(Date.parse(cert.validFrom) < Date.now() && Date.parse(cert.validTo) > Date.now() + 365 * 86400_000);
    t.equal(k.certB64, cert.raw.toString('base64'));
    t.match(k.kid, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    t.equal((await stat(k.keyFile!)).mode & 0o777, 0o600, 'private key readable by its owner only');
    const again = await loadOrCreateSigningKey({ dir });
    t.equal(again.kid, k.kid, 'same key on the next start');
    t.equal(again.certPem, await readFile(k.certFile!, 'utf8'));
  }
});

t.test('given key files: key only gets a certificate; mismatched pair, bad PEM, wrong curve refused', async (t) => {
  const dir = await tempDir(t);
  const a = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const b = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  await writeFile(join(dir, 'a.key'), a.privateKey.export({ type: 'sec1', format: 'pem' }) as string);
  const onlyKey = await loadOrCreateSigningKey({ keyFile: join(dir, 'a.key'), dir });
  t.equal(onlyKey.kid, libtrustKeyId(a.publicKey));
  t.ok(onlyKey.certFile, 'certificate written next to the store');
  const bKey = await loadOrCreateSigningKey({ keyFile: join(dir, 'a.key') });
  await writeFile(join(dir, 'b.key'), b.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  await writeFile(join(dir, 'a.crt'), bKey.certPem);
  await t.rejects(loadOrCreateSigningKey({ keyFile: join(dir, 'b.key'), certFile: join(dir, 'a.crt') }), KeyConfigError, 'certificate of another key');
  t.equal((await loadOrCreateSigningKey({ keyFile: join(dir, 'a.key'), certFile: join(dir, 'a.crt') })).kid, onlyKey.kid, 'matching pair accepted');
  await writeFile(join(dir, 'junk.key'), 'not a key');
  await t.rejects(loadOrCreateSigningKey({ keyFile: join(dir, 'junk.key') }), /is not a PEM private key/);
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
  await writeFile(join(dir, 'p384.key'), p384.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  await t.rejects(loadOrCreateSigningKey({ keyFile: join(dir, 'p384.key') }), /use P-256/);
  await t.rejects(loadOrCreateSigningKey({ certFile: join(dir, 'a.crt') }), /--token-cert needs --token-key/);
  await t.rejects(loadOrCreateSigningKey({ keyFile: join(dir, 'missing.key') }), /--token-key .*ENOENT/);
});

t.test('JWT: issued tokens verify; every bad token is refused with a reason', async (t) => {
  const key = await loadOrCreateSigningKey({ algorithm: 'ES256' });
  const other = await loadOrCreateSigningKey({ algorithm: 'ES256' });
  const rsa = await loadOrCreateSigningKey({ algorithm: 'RS256' });
  const now = Math.floor(Date.now() / 1000);
  const access = [{ type: 'repository', name: 'team/app', actions: ['pull', 'push'] }];
  const base = { issuer: 'iss', audience: 'svc', subject: 'alice', access, ttlSec: 300 };
  const vo = { issuer: 'iss', audience: 'svc' };
  const { token } = await issueToken(key, base);
  const [h, p] = token.split('.').slice(0, 2).map((x) => JSON.parse(Buffer.from(x, 'base64url').toString()) as Record<string, unknown>);
  t.same({ typ: h!.typ, alg: h!.alg, kid: h!.kid }, { typ: 'JWT', alg: 'ES256', kid: key.kid });
  t.same(h!.x5c, [key.certB64]);
  t.equal(p!.aud, 'svc', 'aud is a string (distribution 2.8 reads a string)');
  t.same(p!.access, access);
  t.type(p!.jti, 'string');
  t.same(await verifyToken(token, key, vo), { ok: true, subject: 'alice', access });
  const rsaTok = (await issueToken(rsa, base)).token;
  t.match(await verifyToken(rsaTok, rsa, vo), { ok: true }, 'RS256 too');

  const reason = async (tok: string, k: SigningKey = key, o: Partial<typeof vo & { now: number; leewaySec: number }> = {}) => {
    const v = await verifyToken(tok, k, { ...vo, ...o });
    return v.ok ? 'accepted' : v.reason;
  };
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const [rh, rp, rs] = token.split('.');
  t.equal(await reason(`${enc({ alg: 'none', typ: 'JWT', kid: key.kid })}.${rp}.`), 'algorithm none not accepted');
  t.equal(await reason(`${rh}.${rp}.${rs!.slice(0, -4)}AAAA`), 'bad signature');
  t.equal(await reason(`${rh}.${enc({ ...p, access: [{ type: 'repository', name: 'other', actions: ['push'] }] })}.${rs}`), 'bad signature', 'claims changed after signing');
  t.equal(await reason((await issueToken(other, base)).token), 'signed by an unknown certificate');
  // Another key claiming our kid without x5c: the signature check catches it.
  const forged = await new SignJWT({ access }).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid }).setIssuer('iss').setAudience('svc').setExpirationTime(now + 60).sign(other.privateKey);
  t.equal(await reason(forged), 'bad signature');
  const noKid = await new SignJWT({ access }).setProtectedHeader({ alg: 'ES256', typ: 'JWT' }).setIssuer('iss').setAudience('svc').setExpirationTime(now + 60).sign(key.privateKey);
  t.equal(await reason(noKid), 'no x5c or kid: signing key unknown');
  const unknownKid = await new SignJWT({ access }).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: other.kid }).setIssuer('iss').setAudience('svc').setExpirationTime(now + 60).sign(key.privateKey);
  t.equal(await reason(unknownKid), 'signed by an unknown key id');
  t.equal(await reason(rsaTok, key), 'algorithm RS256 not accepted', 'an RS256 token for an ES256 key');
  const hs = await new SignJWT({ access }).setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: key.kid }).setIssuer('iss').setAudience('svc').setExpirationTime(now + 60).sign(new TextEncoder().encode(key.certPem));
  t.equal(await reason(hs), 'algorithm HS256 not accepted', 'no HMAC with the public key as secret');
  t.match(await reason(token, key, { audience: 'another-registry' }), /claim aud refused/);
  t.match(await reason(token, key, { issuer: 'someone-else' }), /claim iss refused/);
  t.equal(await reason(token, key, { now: now + 300 + 20 }), 'accepted', 'within the leeway after exp');
  t.equal(await reason(token, key, { now: now + 300 + 31 }), 'token expired');
  t.match(await reason(token, key, { now: now - 60 }), /claim nbf refused/, 'not yet valid');
  const futureIat = (await issueToken(key, { ...base, now: now + 3600 })).token;
  t.not(await reason(futureIat), 'accepted', 'issued in the future');
  const noExp = await new SignJWT({ access }).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid, x5c: [key.certB64] }).setIssuer('iss').setAudience('svc').sign(key.privateKey);
  t.match(await reason(noExp), /exp/, 'exp required');
  const badAccess = await new SignJWT({ access: 'everything' }).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid, x5c: [key.certB64] }).setIssuer('iss').setAudience('svc').setExpirationTime(now + 60).sign(key.privateKey);
  t.equal(await reason(badAccess), 'malformed access claim');
  for (const junk of ['', 'abc', 'a.b', 'a.b.c.d', '....', 'e30.e30.e30', '%%%.%%%.%%%', 'x'.repeat(9000), `${enc({ alg: 'ES256' })}.!!!.abc`]) {
    t.not(await reason(junk), 'accepted', `junk ${JSON.stringify(junk.slice(0, 20))}`);
  }
});
