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
  let suiteStarted = 0;
  return (e) => {
    switch (e.type) {
      case 'run-start':
        started = Date.now();
        suiteStarted = started;
        out.write(p.dim(`running ${e.total} conformance cases${e.serverHeaders['server'] ? ` against ${flatten(e.serverHeaders['server'])}` : ''}\n`));
        break;
      case 'suite-start':
        suiteStarted = Date.now();
        break;
      case 'suite-end': {
        const c = countStatuses(e.results);
        // Wall time of the workflow: setup, cases, cleanup and teardown.
        const ms = Date.now() - suiteStarted;
        const n = (x: number, label: string) => `${String(x).padStart(3)} ${label}`;
        const parts = [
          n(c.pass, 'pass'),
          c.fail ? p.red(n(c.fail, 'fail')) : n(0, 'fail'),
          c.skip ? p.yellow(n(c.skip, 'skip')) : n(0, 'skip'),
          c.error ? p.magenta(n(c.error, 'error')) : n(0, 'error'),
        ];
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
