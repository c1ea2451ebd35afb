// `--shard i/N` and `--shard-count N` (index from JOB_COMPLETION_INDEX) for `regprobe bench`: the
// options, and bench/shard.ts's answers turned into CLI errors (exit 2, one line).
import type { Options } from 'yargs';
import { resolveShard, shardPlan, ShardError, type Shard, type ShardableEntry } from '../../bench/shard.js';
import { CliError } from './exit.js';

export const SHARD_OPTIONS: Record<'shard' | 'shard-count', Options> = {
  shard: { type: 'string', describe: 'run slice i of N (0-based, e.g. 0/3) of the load; merge the reports with `regprobe merge`' },
  'shard-count': { type: 'number', describe: 'N shards, this one\'s index from JOB_COMPLETION_INDEX (Kubernetes Indexed Job); also REGPROBE_SHARD_COUNT' },
};

export function shardFromArgs(argv: { shard?: string; shardCount?: number }, env: NodeJS.ProcessEnv): Shard | undefined {
  try {
    return resolveShard({ ...(argv.shard !== undefined ? { shard: argv.shard } : {}), ...(argv.shardCount !== undefined ? { shardCount: argv.shardCount } : {}), env });
  } catch (err) {
    if (err instanceof ShardError) throw new CliError(err.message);
    throw err;
  }
}

export function shardEntries<E extends ShardableEntry>(entries: readonly E[], shard: Shard): E[] {
  try {
    return shardPlan(entries, shard);
  } catch (err) {
    if (err instanceof ShardError) throw new CliError(`--shard ${shard.index}/${shard.count}: ${err.message}`);
    throw err;
  }
}
