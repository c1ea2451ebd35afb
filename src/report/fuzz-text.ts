// The fuzz run's summary as plain text (`npm run fuzz`): counts, the properties, and each distinct
// failing shape with one example and how to reproduce it.
import type { FuzzReport } from '../../bench/fuzz/run.js';
import { violations } from '../../bench/fuzz/run.js';
import { paint, type Paint } from './ansi.js';

const n = (x: number) => x.toLocaleString('en-US');

export function renderFuzzText(r: FuzzReport, opts: { color?: boolean; maxShapes?: number } = {}): string {
  const p: Paint = paint(opts.color ?? false);
  const lines: string[] = [];
  lines.push(p.bold(`fuzz ${r.target}  seed ${r.seed}: ${n(r.sent)} requests in ${(r.durationMs / 1000).toFixed(1)} s`));
  const classes = Object.entries(r.statusClasses).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k} ${n(v)}`).join(', ');
  lines.push(`  outcomes: ${classes || 'none'}`);
  lines.push(`  well-formed: ${n(r.wellFormed.sent)} sent, ${n(r.wellFormed.answered)} answered, ${n(r.wellFormed.unanswered)} unanswered`);
  lines.push(`  malformed:   ${n(r.malformed.sent)} sent, ${n(r.malformed.answered)} answered, ${n(r.malformed.unanswered)} closed or reset (allowed)`);
  lines.push(`  liveness checks: ${n(r.livenessChecks)}; deaths: ${r.deaths.length}${r.lostToDeaths ? ` (${n(r.lostToDeaths)} requests lost while it was down)` : ''}${r.skipped ? `; skipped (no upload session): ${n(r.skipped)}` : ''}`);
  if (r.image) lines.push(`  fixture image: ${r.image.intact ? 'intact' : p.red(`CHANGED: ${r.image.problems.join('; ')}`)}`);
  if (r.outsideStorage) lines.push(`  outside storage: ${!r.outsideStorage.checked ? 'not checked (not started by the fuzzer)' : r.outsideStorage.changes.length ? p.red(`CHANGED: ${r.outsideStorage.changes.join(', ')}`) : 'unchanged'}`);
  for (const d of r.deaths) {
    lines.push(p.red(`  death after ${n(d.afterRequests)} requests: ${d.how}; ${d.culprit ? `killed by: ${d.culprit.shape}` : `no single request of the ${d.suspects} suspects killed it again`}`));
    if (d.culprit) lines.push(`    reproduce: ${d.culprit.example.reproduce}`);
    if (d.serverLog) lines.push(...d.serverLog.split('\n').map((l) => p.dim(`    | ${l}`)));
  }
  const max = opts.maxShapes ?? 50;
  if (r.failures.length) {
    lines.push('', p.bold(`${r.failures.length} distinct failing shapes:`));
    for (const f of r.failures.slice(0, max)) {
      lines.push(`  ${p.red(f.kind.padEnd(10))} ×${n(f.count).padEnd(5)} ${f.shape}`);
      lines.push(p.dim(`      request #${f.example.index}: ${f.example.request}`));
      lines.push(p.dim(`      got: ${f.example.outcome}`));
      lines.push(`      reproduce: ${f.example.reproduce}`);
    }
    if (r.failures.length > max) lines.push(`  … and ${r.failures.length - max} more (--json has them all)`);
  }
  const v = violations(r);
  lines.push('', v.length ? p.red(`FAIL: ${v.join('; ')}`) : p.green('PASS: no 5xx, every well-formed request answered, the registry alive, the fixture intact, nothing changed outside storage'));
  if (r.stoppedEarly) lines.push(p.yellow(`stopped early: ${r.stoppedEarly}`));
  return lines.join('\n') + '\n';
}
