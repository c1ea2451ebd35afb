// Progress of a running benchmark, on stderr (stdout keeps the table): on a TTY one live line
// (workload, step, elapsed, ops/s, errors) rewritten in place; otherwise plain lines, one per finished
// step and one every 10 s during long steps, so CI logs stay readable.
import type { BenchEvent } from '../../bench/runner.js';
import type { LoadModel } from '../../bench/model.js';
import { paint } from './ansi.js';
import { formatMBps, formatMs, formatRate } from './bench-table.js';

export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

function load(l: LoadModel): string {
  return l.kind === 'closed' ? `c=${l.concurrency}` : `${l.ratePerSec}/s`;
}

export function benchProgress(out: ProgressStream, color: boolean): (e: BenchEvent) => void {
  const p = paint(color);
  const live = out.isTTY === true;
  let index = 0;
  let total = 0;
  let lastPlain = 0;
  let liveShown = false;
  const clear = () => {
    if (liveShown) out.write('\r\u001b[K');
    liveShown = false;
  };
  return (e) => {
    switch (e.type) {
      case 'start':
        total = e.workloads;
        out.write(p.dim(`benchmarking ${total} workload${total === 1 ? '' : 's'}${e.serverHeaders['server'] ? ` against ${e.serverHeaders['server']}` : ''}\n`));
        break;
      case 'workload-start':
        index++;
        lastPlain = Date.now();
        if (!live) out.write(`[${index}/${total}] ${e.key}\n`);
        break;
      case 'tick': {
        const secs = e.live.elapsedMs / 1000;
        const rate = secs > 0 ? e.live.ok / secs : 0;
        const text = `[${index}/${total}] ${e.key} ${load(e.load)} ${e.live.warmingUp ? 'warming up' : `${secs.toFixed(1)}s  ${formatRate(rate)} ops/s  ${e.live.errors} errors`}`;
        if (live) {
          const cols = out.columns ?? 100;
          out.write(`\r\u001b[K${text.slice(0, Math.max(20, cols - 1))}`);
          liveShown = true;
        } else if (Date.now() - lastPlain >= 10_000) {
          lastPlain = Date.now();
          out.write(`  ${text}\n`);
        }
        break;
      }
      case 'step-end': {
        clear();
        const s = e.step;
        if (s.operations === 0) {
          out.write(`  ${e.key} ${load(s.load)}: ${p.yellow(`no operation measured${s.notes?.length ? `: ${s.notes.join('; ')}` : ''}`)}\n`);
          break;
        }
        const errs = s.errors ? p.red(`${s.errors} errors`) : '0 errors';
        out.write(`  ${e.key} ${load(s.load)}: ${formatRate(s.opsPerSec)} ops/s, ${formatMBps(s.bytesPerSec)} MB/s, p99 ${formatMs(s.latency.p99)} ms, ${errs}\n`);
        break;
      }
      case 'workload-end':
        clear();
        if (e.result.skipped) out.write(`  ${e.result.key ?? e.result.id}: ${p.yellow('skipped')} (${e.result.skipped})\n`);
        if (e.result.error) out.write(`  ${e.result.key ?? e.result.id}: ${p.red('error')} ${e.result.error}\n`);
        break;
      case 'cleanup': {
        clear();
        const c = e.result;
        out.write(p.dim(`cleanup: ${c.deleted} deleted${c.failed ? `, ${c.failed} failed` : ''}${c.left ? `, ${c.left} left` : ''}${c.note ? ` (${c.note})` : ''}\n`));
        break;
      }
      case 'end':
        clear();
        out.write(p.dim(`done in ${(e.report.durationMs / 1000).toFixed(1)} s\n`));
        break;
      default:
        break;
    }
  };
}
