// The rules every registered suite follows (DESIGN.md "Test identity"); the runner refuses suites that
// break them, and a test checks the registry, so a suite author learns at once.
import type { Level, Suite } from './model.js';

const ID_RE = /^[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)+$/;
const LEVELS: readonly Level[] = ['MUST', 'SHOULD', 'MAY'];

/** Problems with a set of suites, one line each; empty when they are fine. */
export function suiteProblems(suites: readonly Suite[]): string[] {
  const problems: string[] = [];
  const workflows = new Set<string>();
  const seen = new Set<string>();
  for (const suite of suites) {
    if (workflows.has(suite.workflow)) problems.push(`workflow ${suite.workflow} is registered twice`);
    workflows.add(suite.workflow);
    for (const c of suite.cases) {
      const id = c.id;
      if (!ID_RE.test(id)) problems.push(`${id}: an id is dotted lower-case words, e.g. push.chunked.out-of-order-416`);
      if (!id.startsWith(`${suite.workflow}.`)) problems.push(`${id}: ids of suite ${suite.workflow} start with "${suite.workflow}."`);
      if (seen.has(id)) problems.push(`${id}: duplicate id`);
      if (!c.title.trim()) problems.push(`${id}: no title`);
      if (c.requirements.length === 0) problems.push(`${id}: no requirement (which part of the spec does it check?)`);
      for (const r of c.requirements) if (!LEVELS.includes(r.level) || !r.ref.trim()) problems.push(`${id}: bad requirement ${JSON.stringify(r)}`);
      // Dependencies must have run already: cases run in registry order.
      for (const dep of c.dependsOn ?? []) if (!seen.has(dep)) problems.push(`${id}: depends on ${dep}, which is not a case registered before it`);
      seen.add(id);
    }
  }
  return problems;
}

/** The strongest level among a case's requirements: what its failure means. */
export function levelOf(requirements: readonly { level: Level }[]): Level {
  if (requirements.some((r) => r.level === 'MUST')) return 'MUST';
  if (requirements.some((r) => r.level === 'SHOULD')) return 'SHOULD';
  return 'MAY';
}
