// From a profile and the user's choices to the list of (workload, parameters, load steps) to run.
// Pure: every problem is returned as one line for the CLI, nothing runs here.
import { parseSize } from '../src/cli/sizes.js';
import type { LoadModel } from './model.js';
import { findProfile, PROFILES, type Profile } from './profiles.js';
import { findWorkload } from './workloads/index.js';
import type { ParamValue, Params, WorkloadDefinition } from './workload.js';

export interface PlanEntry {
  def: WorkloadDefinition;
  params: Params;
  /** Unique within the plan: id plus label (see WorkloadResult.key). */
  key: string;
  steps: LoadModel[];
  durationMs?: number;
  count?: number;
  warmupMs: number;
}

export interface PlanChoices {
  profile: string;
  /** Only these workload ids; from the profile when it has them, else with their defaults. */
  workloads?: string[];
  concurrency?: number[];
  /** Open loop instead of closed: arrivals per second. */
  rate?: number;
  maxInFlight?: number;
  durationMs?: number;
  count?: number;
  warmupMs?: number;
  /** Parameter overrides (`--param k=v`, `--size`), applied where a workload has the parameter. */
  params?: Record<string, string>;
  readOnly: boolean;
}

export type PlanResult = { ok: true; entries: PlanEntry[]; profile: Profile } | { ok: false; problem: string };

export function buildPlan(c: PlanChoices): PlanResult {
  const profile = findProfile(c.profile);
  if (!profile) return { ok: false, problem: `unknown --profile ${c.profile} (choose from ${PROFILES.map((p) => p.name).join(', ')})` };
  let specs = profile.workloads;
  if (c.workloads && c.workloads.length) {
    const unknown = c.workloads.filter((id) => !findWorkload(id));
    if (unknown.length) return { ok: false, problem: `unknown --workload ${unknown.join(', ')} (see regprobe bench --list)` };
    // In the order given; a workload the profile has keeps the profile's parameters (all its variants).
    specs = c.workloads.flatMap((id) => {
      const inProfile = profile.workloads.filter((s) => s.id === id);
      return inProfile.length ? inProfile : [{ id }];
    });
  }
  if (c.readOnly && c.workloads?.length) {
    const writers = specs.filter((s) => findWorkload(s.id)!.writes).map((s) => s.id);
    if (writers.length) return { ok: false, problem: `--read-only: ${[...new Set(writers)].join(', ')} would write to the registry` };
  }
  const overrides = Object.entries(c.params ?? {});
  for (const [name] of overrides) {
    if (!specs.some((s) => name in findWorkload(s.id)!.defaults)) return { ok: false, problem: `no selected workload has a parameter ${name} (see regprobe bench --list)` };
  }
  const entries: PlanEntry[] = [];
  const keys = new Map<string, number>();
  for (const spec of specs) {
    const def = findWorkload(spec.id)!;
    const params: Params = { ...def.defaults, ...(spec.params ?? {}) };
    for (const [name, raw] of overrides) {
      if (!(name in def.defaults)) continue;
      const v = coerce(def.defaults[name]!, raw);
      if (v === null) return { ok: false, problem: `parameter ${name}=${raw}: expected ${typeof def.defaults[name] === 'number' ? 'a number or size' : 'true or false'}` };
      params[name] = v;
    }
    let label: string | undefined;
    try {
      label = def.label?.(params);
    } catch (err) {
      return { ok: false, problem: `${def.id}: ${(err as Error).message}` };
    }
    let key = label ? `${def.id}.${label}` : def.id;
    const seen = keys.get(key) ?? 0;
    keys.set(key, seen + 1);
    if (seen) key = `${key}#${seen + 1}`;
    const steps: LoadModel[] =
      c.rate !== undefined
        ? [{ kind: 'open', ratePerSec: c.rate, maxInFlight: c.maxInFlight ?? 256 }]
        : (c.concurrency ?? spec.concurrency ?? profile.concurrency).map((n) => ({ kind: 'closed', concurrency: n }));
    const byCount = c.count ?? (c.durationMs === undefined ? (spec.count ?? profile.count) : undefined);
    const duration = byCount === undefined ? (c.durationMs ?? spec.durationMs ?? profile.durationMs ?? 10_000) : undefined;
    entries.push({
      def,
      params,
      key,
      steps,
      ...(duration !== undefined ? { durationMs: duration } : {}),
      ...(byCount !== undefined ? { count: byCount } : {}),
      warmupMs: c.warmupMs ?? spec.warmupMs ?? profile.warmupMs,
    });
  }
  return { ok: true, entries, profile };
}

function coerce(like: ParamValue, raw: string): ParamValue | null {
  if (typeof like === 'number') {
    const n = Number(raw);
    if (raw.trim() !== '' && Number.isFinite(n)) return n;
    return parseSize(raw);
  }
  if (typeof like === 'boolean') {
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    return null;
  }
  return raw;
}
