// The comparison as a JSON document (regprobe.compare/v1): the lined-up rows and the gate's outcome,
// for scripts that post-process a comparison.
import type { Comparison } from './compare-model.js';
import type { GateOutcome } from './compare-gate.js';

export const COMPARE_SCHEMA = 'regprobe.compare/v1';

export function renderCompareJson(c: Comparison, gate: GateOutcome | undefined): string {
  const doc = {
    schema: COMPARE_SCHEMA,
    ...c,
    ...(gate ? { gate: { ok: gate.failures.length === 0, ...gate } } : {}),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
