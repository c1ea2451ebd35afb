// Escaping for the markup formats. Report text comes partly from the target (bodies, headers), so
// every value is escaped, and characters XML cannot carry at all are replaced.

/** Characters XML 1.0 forbids (most control characters, lone surrogates, U+FFFE/U+FFFF). */
// eslint-disable-next-line no-control-regex
const XML_INVALID = /[^\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu;

export function xmlText(s: string): string {
  return s.replace(XML_INVALID, '\ufffd').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value; line breaks are kept as character references (parsers turn raw ones into spaces). */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

export function html(s: string): string {
  return s
    .replace(XML_INVALID, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Markdown text, placed after a prefix on its line, with no active syntax and no raw HTML (GitHub renders it). */
export function mdText(s: string): string {
  return s
    .replace(/\r?\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    // Only what is active mid-line (callers never start a line with the text).
    .replace(/[\\`*_[\]|~]/g, '\\$&');
}

/** An inline code span that holds any text: the fence is longer than any backtick run inside. */
export function mdCode(s: string, inTable = false): string {
  const flat = s.replace(/\r?\n/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') || flat === '' ? ' ' : '';
  // In a table a pipe ends the cell even inside a code span (GitHub), unless escaped.
  return `${fence}${pad}${inTable ? flat.replace(/\|/g, '\\|') : flat}${pad}${fence}`;
}

/** A fenced code block that holds any text. */
export function mdBlock(s: string): string {
  const longest = Math.max(2, ...(s.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}text\n${s.replace(/\r\n?/g, '\n')}\n${fence}`;
}
