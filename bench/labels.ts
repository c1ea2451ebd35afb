// Names for the parts of a benchmark report, shared by merge, compare and the renderers so that the
// same workload/step is called the same everywhere (and matched the same way across reports).
import type { LoadModel, WorkloadResult } from './model.js';

export type ParamValue = string | number | boolean;

/** `size=1048576 layers=3` in the order the workload declared its parameters; '' without any. */
export function paramsLabel(params: Record<string, ParamValue>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(' ');
}

/** Identity of a workload across reports: id plus its parameters, independent of key order. */
export function workloadKey(w: Pick<WorkloadResult, 'id' | 'params'>): string {
  const params = Object.keys(w.params)
    .sort()
    .map((k) => `${k}=${JSON.stringify(w.params[k])}`);
  return `${w.id}{${params.join(',')}}`;
}

/** The report key when the engine gave one (`blob.get.1MiB`), else `pull.blob size=1048576`. */
export function workloadLabel(w: Pick<WorkloadResult, 'id' | 'params' | 'key'>): string {
  if (w.key) return w.key;
  const p = paramsLabel(w.params);
  return p ? `${w.id} ${p}` : w.id;
}

/** `c=8` for a closed loop, `rate=100/s` for an open loop. */
export function loadLabel(load: LoadModel): string {
  return load.kind === 'closed' ? `c=${load.concurrency}` : `rate=${load.ratePerSec}/s`;
}

