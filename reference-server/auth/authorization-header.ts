// Reading the Authorization header of a request, defensively: anything odd is "malformed" (a 401),
// never an exception.

export type Presented =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'other'; scheme: string }
  | { kind: 'malformed'; reason: string };

/** Far above any real Basic or Bearer header; bounds decoding work. */
export const MAX_AUTHORIZATION_LENGTH = 8192;

export function readAuthorization(value: string | string[] | undefined): Presented {
  if (value === undefined) return { kind: 'none' };
  if (Array.isArray(value)) return { kind: 'malformed', reason: 'several Authorization headers' };
  if (value.length > MAX_AUTHORIZATION_LENGTH) return { kind: 'malformed', reason: 'Authorization header too long' };
  const m = /^\s*([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)(?:\s+(\S+))?\s*$/.exec(value);
  if (!m) return { kind: 'malformed', reason: 'unreadable Authorization header' };
  const scheme = m[1]!.toLowerCase();
  const cred = m[2];
  if (scheme === 'basic') {
    if (!cred || !/^[A-Za-z0-9+/]+={0,2}$/.test(cred)) return { kind: 'malformed', reason: 'Basic credentials are not base64' };
    const decoded = Buffer.from(cred, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { kind: 'malformed', reason: 'Basic credentials without a colon' };
    return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (scheme === 'bearer') {
    if (!cred) return { kind: 'malformed', reason: 'Bearer without a token' };
    return { kind: 'bearer', token: cred };
  }
  return { kind: 'other', scheme };
}
