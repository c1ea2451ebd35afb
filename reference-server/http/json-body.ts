// The one way the reference server parses a JSON request body. JSON.parse itself copes with deep
// nesting, but everything that walks the result afterwards (JSON.stringify of an error detail,
// validators, storage) recurses: a 10 KB body nested 5,000 deep overflowed the stack. Nesting is
// checked on the text first, before anything recursive sees it.

/** Deeper than any manifest, index or token request needs (a manifest is about 4 levels deep). */
export const MAX_JSON_DEPTH = 64;

export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: string };

export function parseJsonBody(text: string, maxDepth = MAX_JSON_DEPTH): JsonParse {
  const depth = nestingBeyond(text, maxDepth);
  if (depth !== undefined) return { ok: false, reason: `JSON nested deeper than ${maxDepth} levels (at offset ${depth})` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    // V8's message quotes a short excerpt at most; still cut it to keep the answer small.
    return { ok: false, reason: `not valid JSON (${String((err as Error).message).slice(0, 200)})` };
  }
}

/** Offset where nesting first exceeds maxDepth (brackets inside strings do not count), or undefined. */
function nestingBeyond(text: string, maxDepth: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return undefined;
}
