// Keeps secrets out of logs, reports, error messages and traces. Credential sources register what
// they found (passwords, identity tokens, bearer tokens); any text shown to a user goes through
// redact(), which also masks the usual shapes of secrets even when they were never registered.

const MASK = '<redacted>';
const known = new Set<string>();

/** Registers a secret so redact() masks it wherever it appears (also its Basic-auth base64 form). */
export function registerSecret(secret: string | undefined, username?: string): void {
  if (!secret || secret.length < 4) return;
  known.add(secret);
  if (username !== undefined) known.add(Buffer.from(`${username}:${secret}`).toString('base64'));
}

/** Forgets every registered secret (tests). */
export function clearSecrets(): void {
  known.clear();
}

const PATTERNS: Array<[RegExp, string]> = [
  // Authorization-style values: `Basic xxx`, `Bearer xxx`
  [/\b(basic|bearer)\s+[A-Za-z0-9\-._~+/]+=*/gi, `$1 ${MASK}`],
  // JWTs anywhere
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, MASK],
  // JSON fields holding secrets
  [/("(?:password|secret|token|access_token|refresh_token|identitytoken|identity_token|auth|registrytoken)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `$1"${MASK}"`],
  // form / query parameters holding secrets
  [/\b(password|refresh_token|access_token|token|client_secret)=[^&\s"]+/gi, `$1=${MASK}`],
  // user info in URLs
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s:]+:[^/@\s]+@/gi, `$1${MASK}@`],
];

/** Masks registered secrets and secret-shaped substrings. */
export function redact(text: string): string {
  let out = text;
  // Longest first, so a secret containing another is masked whole.
  for (const s of [...known].sort((a, b) => b.length - a.length)) out = out.split(s).join(MASK);
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep);
  return out;
}

const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'x-registry-auth']);

/** A copy of headers with credential-bearing ones masked (their scheme kept: `Bearer <redacted>`). */
export function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (SECRET_HEADERS.has(k.toLowerCase())) {
      const scheme = /^\s*(basic|bearer)\b/i.exec(v)?.[1];
      out[k] = scheme ? `${scheme} ${MASK}` : MASK;
    } else out[k] = redact(v);
  }
  return out;
}
