// Progress of a running conformance run, for the CLI: one line per finished workflow and each warning,
// written to a stream (stderr), so stdout keeps only the report.
import type { ProgressEvent } from '../conformance/runner.js';
import { paint } from './ansi.js';
import { countStatuses, flatten, formatSeconds } from './conformance-view.js';

export interface ProgressWriter {
  write(s: string): unknown;
}

export function conformanceProgress(out: ProgressWriter, color: boolean): (e: ProgressEvent) => void {
  const p = paint(color);
  let started = 0;
  return (e) => {
    switch (e.type) {
      case 'run-start':
        started = Date.now();
        out.write(p.dim(`running ${e.total} conformance cases${e.serverHeaders['server'] ? ` against ${flatten(e.serverHeaders['server'])}` : ''}\n`));
        break;
      case 'suite-end': {
        const c = countStatuses(e.results);
        const ms = e.results.reduce((n, r) => n + r.durationMs, 0);
        const parts = [`${c.pass} pass`, c.fail ? p.red(`${c.fail} fail`) : '0 fail', c.skip ? p.yellow(`${c.skip} skip`) : '0 skip', c.error ? p.magenta(`${c.error} error`) : '0 error'];
        out.write(`  ${e.workflow.padEnd(16)} ${parts.join('  ')}  ${p.dim(formatSeconds(ms))}\n`);
        break;
      }
      case 'warning':
        out.write(`${p.yellow('warning:')} ${flatten(e.message)}\n`);
        break;
      case 'run-end':
        out.write(p.dim(`done in ${formatSeconds(Date.now() - started)}\n`));
        break;
      default:
        break;
    }
  };
}
