// Sharding: N copies of `regprobe bench` (processes, machines, pods of a Kubernetes Indexed Job) each
// run a slice of the load; `regprobe merge` adds their reports back up. Pure functions: the bench
// command resolves the shard once and hands each step's load through shardLoad().
//
// Indices are 0-based, like JOB_COMPLETION_INDEX: the shards of a 3-way run are 0/3, 1/3 and 2/3.
import type { LoadModel } from './model.js';

export interface Shard {
  /** 0-based. */
  index: number;
  count: number;
}

/** A shard specification the user gave cannot be used; the message is one line. */
export class ShardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShardError';
  }
}

const SHARD_RE = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

/** `--shard i/N`. */
export function parseShard(text: string): Shard {
  const m = SHARD_RE.exec(text);
  if (!m) throw new ShardError(`--shard: "${text}" is not i/N (e.g. 0/3 for the first of three shards)`);
  return checkedShard(Number(m[1]), Number(m[2]), '--shard');
}

function checkedShard(index: number, count: number, what: string): Shard {
  if (!Number.isSafeInteger(count) || count < 1) throw new ShardError(`${what}: the shard count must be at least 1, got ${count}`);
  if (!Number.isSafeInteger(index) || index < 0 || index >= count) {
    throw new ShardError(`${what}: shard index ${index} is out of range: indices are 0-based, 0..${count - 1} for ${count} shard${count === 1 ? '' : 's'}`);
  }
  return { index, count };
}

export interface ShardSources {
  /** `--shard i/N`; wins over the environment. */
  shard?: string;
  /** `--shard-count N`: the index then comes from JOB_COMPLETION_INDEX. */
  shardCount?: number | string;
  /** Reads JOB_COMPLETION_INDEX (set by a Kubernetes Indexed Job) and REGPROBE_SHARD_COUNT. */
  env?: Record<string, string | undefined>;
}

/**
 * The shard this process runs, or undefined for an unsharded run. Sources, first match wins:
 * `--shard i/N`; `--shard-count N` or REGPROBE_SHARD_COUNT=N with the index from JOB_COMPLETION_INDEX.
 * JOB_COMPLETION_INDEX alone does not shard: without a count the slice size is unknown.
 */
export function resolveShard(src: ShardSources): Shard | undefined {
  if (src.shard !== undefined && src.shard !== '') return parseShard(src.shard);
  const env = src.env ?? {};
  const countText = src.shardCount !== undefined ? String(src.shardCount) : env['REGPROBE_SHARD_COUNT'];
  if (countText === undefined || countText === '') return undefined;
  const what = src.shardCount !== undefined ? '--shard-count' : 'REGPROBE_SHARD_COUNT';
  if (!/^\s*\d+\s*$/.test(countText)) throw new ShardError(`${what}: "${countText}" is not a whole number`);
  const indexText = env['JOB_COMPLETION_INDEX'];
  if (indexText === undefined || indexText === '') {
    throw new ShardError(`${what} needs JOB_COMPLETION_INDEX (set in each pod of a Kubernetes Indexed Job); elsewhere use --shard i/N`);
  }
  if (!/^\s*\d+\s*$/.test(indexText)) throw new ShardError(`JOB_COMPLETION_INDEX: "${indexText}" is not a whole number`);
  return checkedShard(Number(indexText), Number(countText), 'JOB_COMPLETION_INDEX');
}

/**
 * This shard's part of a whole number: parts differ by at most one and add up to `total`
 * (10 over 3 shards: 4, 3, 3). Throws when a shard would get nothing (`what` names the quantity).
 */
export function splitInteger(total: number, shard: Shard, what: string): number {
  // Checked against the total, not this shard's part: every shard must reach the same verdict.
  if (total < shard.count) throw new ShardError(`${what} ${total} cannot be split over ${shard.count} shards: each shard needs at least 1`);
  return Math.floor(total / shard.count) + (shard.index < total % shard.count ? 1 : 0);
}

/**
 * This shard's slice of a step's load. Closed loop: the workers are divided (32 over 3: 11, 11, 10).
 * Open loop: each shard runs rate/N and its part of the in-flight cap, so the shards together offer
 * the rate the user asked for; arrivalOffsetMs() interleaves their schedules.
 */
export function shardLoad(load: LoadModel, shard: Shard): LoadModel {
  if (load.kind === 'closed') return { kind: 'closed', concurrency: splitInteger(load.concurrency, shard, 'concurrency') };
  return {
    kind: 'open',
    ratePerSec: load.ratePerSec / shard.count,
    maxInFlight: Math.max(1, Math.floor(load.maxInFlight / shard.count) + (shard.index < load.maxInFlight % shard.count ? 1 : 0)),
  };
}

/** This shard's part of a run bounded by operation count (`--count`). */
export function shardOperationCount(count: number, shard: Shard): number {
  return splitInteger(count, shard, 'count');
}

/**
 * Delay of this shard's first arrival in an open loop at `totalRatePerSec` (all shards together):
 * shard i starts i/N of an interval late so that N schedules of rate/N interleave evenly.
 */
export function arrivalOffsetMs(totalRatePerSec: number, shard: Shard): number {
  return totalRatePerSec > 0 ? (shard.index * 1000) / totalRatePerSec : 0;
}

/**
 * The arrival offset of one step as the runner sees it: `load` is this shard's slice (shardLoad()),
 * so the whole run's rate is N times its rate. 0 for an unsharded run or a closed loop.
 */
export function stepArrivalOffsetMs(load: LoadModel, shard: Shard | undefined): number {
  if (!shard || load.kind !== 'open') return 0;
  return arrivalOffsetMs(load.ratePerSec * shard.count, shard);
}

/** `s1of3`: a name part that keeps shards' repositories apart. */
export function shardTag(shard: Shard): string {
  return `s${shard.index}of${shard.count}`;
}

/** What sharding needs of a plan entry (bench/plan.ts PlanEntry). */
export interface ShardableEntry {
  key: string;
  steps: LoadModel[];
  count?: number;
}

/**
 * Every entry's steps (and operation count) cut to this shard's slice. A step too small to give
 * each shard a worker is refused, naming the workload and step, rather than run lopsided.
 */
export function shardPlan<E extends ShardableEntry>(entries: readonly E[], shard: Shard): E[] {
  return entries.map((e) => {
    try {
      const steps = e.steps.map((l) => shardLoad(l, shard));
      return { ...e, steps, ...(e.count !== undefined ? { count: shardOperationCount(e.count, shard) } : {}) };
    } catch (err) {
      if (err instanceof ShardError) throw new ShardError(`${e.key}: ${err.message}; use concurrency (or --count) of at least ${shard.count}, or fewer shards`);
      throw err;
    }
  });
}
