// Which cases run: --only/--skip id globs, --spec (a case's `since`), --read-only (a case's `readOnly`).
// A case left out is still reported, as a skip with the reason, so a report always lists every case.
import type { CaseDefinition, SkipKind, SpecVersion, Suite } from './model.js';

export interface SelectionOptions {
  /** Id globs; when non-empty only matching cases (and the cases they depend on) run. */
  only: readonly string[];
  /** Id globs of cases not to run; wins over --only. */
  skip: readonly string[];
  spec: SpecVersion;
  readOnly: boolean;
}

export interface Exclusion {
  kind: SkipKind;
  reason: string;
}

const SPEC_ORDER: Record<SpecVersion, number> = { '1.0': 0, '1.1': 1, draft: 2 };

/** True when a case first specified in `since` is part of spec version `spec`. */
export function inSpec(since: SpecVersion | undefined, spec: SpecVersion): boolean {
  return SPEC_ORDER[since ?? '1.0'] <= SPEC_ORDER[spec];
}

/**
 * An id glob: `*` matches any run of characters (dots included), `?` one character. A pattern also
 * matches every id below it, so `push` and `push.chunked` select whole workflows and groups.
 */
export function globMatcher(pattern: string): (id: string) => boolean {
  const source = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  const re = new RegExp(`^${source}(?:\\..*)?$`);
  return (id) => re.test(id);
}

/** Splits repeatable, comma-separated flag values into trimmed non-empty patterns. */
export function splitPatterns(values: readonly string[] | string | undefined): string[] {
  const list = values === undefined ? [] : typeof values === 'string' ? [values] : values;
  return list.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

export interface Selection {
  /** Cases left out, by id, with the reason; every other case runs. */
  excluded: Map<string, Exclusion>;
  /** Patterns that matched no case at all (a typo the CLI reports). */
  unmatched: string[];
}

export function selectCases(suites: readonly Suite[], opts: SelectionOptions): Selection {
  const all = suites.flatMap((s) => s.cases);
  const byId = new Map(all.map((c) => [c.id, c]));
  const onlyM = opts.only.map((p) => ({ p, m: globMatcher(p) }));
  const skipM = opts.skip.map((p) => ({ p, m: globMatcher(p) }));
  const unmatched = [...onlyM, ...skipM].filter(({ m }) => !all.some((c) => m(c.id))).map(({ p }) => p);

  const skipped = (c: CaseDefinition) => skipM.find(({ m }) => m(c.id));
  // --only keeps the named cases plus whatever they depend on, so `--only push.x` is runnable alone.
  let wanted: Set<string>;
  if (onlyM.length === 0) wanted = new Set(all.map((c) => c.id));
  else {
    wanted = new Set();
    const stack = all.filter((c) => onlyM.some(({ m }) => m(c.id))).map((c) => c.id);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (wanted.has(id)) continue;
      wanted.add(id);
      for (const dep of byId.get(id)?.dependsOn ?? []) if (byId.has(dep)) stack.push(dep);
    }
  }

  const excluded = new Map<string, Exclusion>();
  for (const c of all) {
    const s = skipped(c);
    if (s) excluded.set(c.id, { kind: 'disabled', reason: `disabled by --skip ${s.p}` });
    else if (!wanted.has(c.id)) excluded.set(c.id, { kind: 'disabled', reason: 'not selected by --only' });
    else if (!inSpec(c.since, opts.spec)) {
      excluded.set(c.id, { kind: 'spec-version', reason: `specified from ${c.since} on; this run checks spec ${opts.spec}` });
    } else if (opts.readOnly && !c.readOnly) excluded.set(c.id, { kind: 'read-only', reason: 'writes to the registry; not run with --read-only' });
  }
  return { excluded, unmatched };
}
