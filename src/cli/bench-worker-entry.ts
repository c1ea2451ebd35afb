// One load-generating thread of `regprobe bench --workers N` (src/cli/bench-workers.ts): shard i/N of
// the plan against the parent's target, reached by its URL, with this thread's own connections.
// Waits for the parent before each step; posts its progress and, at the end, its report.
import { parentPort, workerData } from 'node:worker_threads';
import type { FromWorker, ToWorker, WorkerInput } from './bench-workers.js';
import { benchSettings, measureBench, type BenchArgs } from './bench-command.js';
import { CliError } from './exit.js';
import { openTarget } from './target.js';

const input = workerData as WorkerInput;
const port = parentPort!;
const post = (m: FromWorker) => port.postMessage(m);
const abort = new AbortController();
const waiting = new Map<string, () => void>();
port.on('message', (m: ToWorker) => {
  if (m.t === 'abort') {
    abort.abort();
    for (const go of waiting.values()) go();
    waiting.clear();
  } else {
    const k = `${m.workload}/${m.step}`;
    waiting.get(k)?.();
    waiting.delete(k);
  }
});

try {
  const s = benchSettings({ ...(input.argv as unknown as BenchArgs), shard: `${input.index}/${input.count}` });
  const target = await openTarget(s.target);
  try {
    const report = await measureBench(s, target, {
      signal: abort.signal,
      targetView: { reference: input.reference, container: input.container },
      onProgress: (e) => post({ t: 'event', e }),
      beforeStep: (workload, step) =>
        abort.signal.aborted
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              waiting.set(`${workload}/${step}`, resolve);
              post({ t: 'at', workload, step });
            }),
    });
    // The parent merges the shards' reports into one run (and drops the shard marks).
    post({ t: 'done', report: { ...report, target: { url: report.target.url, reference: input.reference } } });
  } finally {
    await target.close();
  }
} catch (err) {
  post(err instanceof CliError ? { t: 'fail', message: err.message, exitCode: err.exitCode } : { t: 'fail', message: `load worker ${input.index + 1}: ${(err as Error).stack ?? String(err)}` });
}
port.close();
