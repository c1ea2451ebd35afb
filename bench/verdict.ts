// The exit code of a benchmark: 1 when the registry misbehaved under load. A step whose failed
// operations exceed the allowed error rate, any digest mismatch (the registry served wrong bytes),
// or a workload whose setup failed. Skipped workloads (not supported, read-only) do not count.
import type { BenchReport } from './model.js';

export interface Verdict {
  failed: boolean;
  /** One line per reason, for the console. */
  reasons: string[];
}

export function judge(report: BenchReport, maxErrorRate: number): Verdict {
  const reasons: string[] = [];
  for (const w of report.workloads) {
    const key = w.key ?? w.id;
    if (w.error) reasons.push(`${key}: ${w.error}`);
    for (const s of w.steps) {
      const at = s.load.kind === 'closed' ? `c=${s.load.concurrency}` : `rate=${s.load.ratePerSec}/s`;
      if (s.errorDetail.digestMismatches > 0) reasons.push(`${key} ${at}: ${s.errorDetail.digestMismatches} digest mismatch(es): the registry served bytes that do not match their digest`);
      const rate = s.operations ? s.errors / s.operations : 0;
      if (rate > maxErrorRate) reasons.push(`${key} ${at}: ${s.errors} of ${s.operations} operations failed (${(rate * 100).toFixed(1)}% > ${(maxErrorRate * 100).toFixed(1)}% allowed)`);
    }
  }
  return { failed: reasons.length > 0, reasons };
}
