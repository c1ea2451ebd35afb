// WWW-Authenticate parsing (RFC 7235 section 4.1), tolerant of what real registries send: several
// challenges in one header (or several headers joined with ", "), any scheme case, unquoted values,
// spaces around "=", Basic with extra parameters, Bearer without service, token68 credentials.

export interface Challenge {
  /** Lower-cased auth scheme: `basic`, `bearer`, ... */
  scheme: string;
  /** Parameters with lower-cased names; values unquoted and unescaped. */
  params: Record<string, string>;
  /** A token68 instead of parameters (rare for registries). */
  token68?: string;
}

const TOKEN = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*/;

/** Parses a WWW-Authenticate value into its challenges; never throws, skips what it cannot read. */
export function parseChallenges(header: string | undefined): Challenge[] {
  if (!header) return [];
  const s = header;
  const out: Challenge[] = [];
  let cur: Challenge | undefined;
  let i = 0;
  const n = s.length;

  const skipSpaces = () => {
    while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  const readValue = (): string => {
    if (s[i] === '"') {
      i++;
      let v = '';
      while (i < n && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < n) i++;
        v += s[i];
        i++;
      }
      i++; // closing quote (or past the end of an unterminated one)
      return v;
    }
    // Unquoted: a token, tolerating characters some servers leave unquoted (":", "/", "=").
    const start = i;
    while (i < n && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
    return s.slice(start, i);
  };

  while (i < n) {
    skipSpaces();
    if (s[i] === ',') {
      i++;
      continue;
    }
    const word = readToken();
    if (!word) {
      // Stray character: skip to the next comma.
      while (i < n && s[i] !== ',') i++;
      continue;
    }
    const afterWord = i;
    skipSpaces();
    if (s[i] === '=' && cur && !cur.token68) {
      // auth-param of the current challenge
      i++;
      skipSpaces();
      const name = word.toLowerCase();
      const value = readValue();
      if (!(name in cur.params)) cur.params[name] = value;
      else if (name === 'scope') cur.params[name] += ` ${value}`;
      continue;
    }
    if (s[i] === '=' && !cur) {
      // A parameter with no scheme before it: not parseable, skip it.
      i++;
      skipSpaces();
      readValue();
      continue;
    }
    // A new challenge: `word` is its scheme.
    i = afterWord;
    cur = { scheme: word.toLowerCase(), params: {} };
    out.push(cur);
    skipSpaces();
    // token68 form: `Scheme abc==` followed by the end or a comma.
    const m = TOKEN68.exec(s.slice(i));
    if (m) {
      let j = i + m[0].length;
      while (j < n && (s[j] === ' ' || s[j] === '\t')) j++;
      if (j >= n || s[j] === ',') {
        cur.token68 = m[0];
        i = j;
      }
    }
  }
  return out;
}

/** The first challenge of a scheme (case-insensitive), if any. */
export function findChallenge(challenges: Challenge[], scheme: string): Challenge | undefined {
  const want = scheme.toLowerCase();
  return challenges.find((c) => c.scheme === want);
}

/** Splits a challenge's `scope` parameter (space-separated resource scopes) into its entries. */
export function challengeScopes(c: Challenge | undefined): string[] {
  const v = c?.params.scope;
  return v ? v.split(/\s+/).filter((x) => x.length > 0) : [];
}

/** Formats one challenge (for servers and tests): `Bearer realm="...",service="..."`. */
export function formatChallenge(scheme: string, params: Record<string, string | undefined>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${v!.replace(/["\\]/g, (c) => `\\${c}`)}"`);
  return parts.length ? `${scheme} ${parts.join(',')}` : scheme;
}
