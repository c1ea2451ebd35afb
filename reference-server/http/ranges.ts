// Byte ranges: the Range header of a blob GET (RFC 9110 section 14) and the Content-Range of an
// upload chunk (spec: `^[0-9]+-[0-9]+$`, inclusive).

export type RangeRequest =
  | { kind: 'none' }
  | { kind: 'range'; start: number; end: number }
  | { kind: 'unsatisfiable' };

/**
 * A single byte range, resolved against `size`. Multiple ranges, other units and malformed values
 * are ignored (RFC 9110 allows serving the whole representation then).
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return { kind: 'none' };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return { kind: 'none' };
  if (size === 0) return { kind: 'none' };
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return { kind: 'none' }; // invalid: ignored
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  return { kind: 'range', start, end: Math.min(end, size - 1) };
}

/**
 * Content-Range of an upload chunk. The spec form is `<start>-<end>`; `bytes <start>-<end>/<total|*>`
 * (RFC form, sent by some clients) is accepted too. null when it is not a range at all.
 */
export function parseChunkRange(header: string): { start: number; end: number } | null {
  const m = /^\s*(?:bytes[ =])?\s*(\d{1,15})-(\d{1,15})(?:\/(?:\d+|\*))?\s*$/i.exec(header);
  if (!m) return null;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return end >= start ? { start, end } : null;
}

/** The `Range: 0-<last byte>` value of upload responses (`0-0` before the first byte, as distribution does). */
export function uploadRange(offset: number): string {
  return `0-${Math.max(0, offset - 1)}`;
}
