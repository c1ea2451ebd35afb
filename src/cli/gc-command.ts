// `regprobe gc --storage DIR [--dry-run]`: offline garbage collection of a reference registry's storage
// directory (what is kept and why: reference-server/storage/gc.ts). It takes the storage lock like a
// server does, so it refuses while a server uses the directory (online: `serve --gc-interval`).
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { FsStorage, StorageLockedError, type GcReport } from '../../reference-server/storage/index.js';
import { gcReportLines } from '../report/gc-text.js';
import { durationOption } from './durations.js';
import { CliError } from './exit.js';
import { COMMAND_TEXT } from './command-text.js';

export interface GcArgs {
  storage: string;
  'dry-run': boolean;
  grace: number;
  'upload-ttl': number;
}

export const GC_DEFAULT_GRACE = '1h';
export const UPLOAD_TTL_DEFAULT = '24h';

/** Runs one collection; the report has the sessions start-up recovery removed folded in. */
export async function runGc(args: GcArgs): Promise<GcReport> {
  const root = resolve(args.storage);
  await requireStore(args.storage, root);
  let storage: FsStorage;
  try {
    storage = await FsStorage.open({ root, uploadTtlMs: args['upload-ttl'], readOnly: args['dry-run'] });
  } catch (err) {
    if (err instanceof StorageLockedError) throw new CliError(`gc: ${err.message}; stop that server first, or run it with --gc-interval`);
    throw storageError(args.storage, err);
  }
  try {
    const report = await storage.collectGarbage({ dryRun: args['dry-run'], graceMs: args.grace, uploadTtlMs: args['upload-ttl'] });
    // Opening the store already dropped (or, dry, counted) the expired and broken sessions.
    report.uploadsExpired += storage.recovery.uploadsRemoved;
    report.uploadBytesFreed += storage.recovery.uploadBytesRemoved;
    return report;
  } catch (err) {
    throw storageError(args.storage, err);
  } finally {
    await storage.close();
  }
}

/** Never create a store where the user mistyped a path: it must already look like one. */
async function requireStore(given: string, root: string): Promise<void> {
  const isDir = async (p: string) => (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
  if (!(await isDir(root))) throw new CliError(`--storage ${given}: no such directory`);
  if (!(await isDir(join(root, 'blobs'))) && !(await isDir(join(root, 'repositories')))) {
    throw new CliError(`--storage ${given}: not a reference registry storage directory (it has no blobs/ or repositories/)`);
  }
}

function storageError(given: string, err: unknown): unknown {
  const code = (err as { code?: string }).code;
  if (typeof code === 'string' && typeof (err as { syscall?: string }).syscall === 'string') {
    return new CliError(`gc: cannot work on ${given}: ${(err as Error).message}`);
  }
  return err;
}

export const gcCommand: CommandModule<object, GcArgs> = {
  ...COMMAND_TEXT.gc,
  builder: (y) =>
    y
      .usage(
        '$0 gc --storage DIR [--dry-run]\n\n' +
          'Offline garbage collection of a `regprobe serve` storage directory (a running server does the same with --gc-interval).\n' +
          'Kept: every manifest until it is deleted (tagged or not), referrers, and every blob a kept manifest references\n' +
          '(config, layers, index children). Removed: repository links to blobs no manifest references and blob files no\n' +
          'repository holds, both only once older than --grace; upload sessions idle for longer than --upload-ttl.\n' +
          'Refuses (exit 2) while a server uses the directory.',
      )
      .option('storage', { type: 'string', demandOption: true, requiresArg: true, describe: 'the storage directory of a (stopped) `regprobe serve`' })
      .option('dry-run', { type: 'boolean', default: false, describe: 'report what would be freed; remove nothing' })
      .option('grace', {
        type: 'string',
        default: GC_DEFAULT_GRACE,
        requiresArg: true,
        coerce: durationOption('grace'),
        describe: 'unreferenced blobs and links younger than this stay (a push in progress uploads layers before its manifest); 0 = none',
      })
      .option('upload-ttl', {
        type: 'string',
        default: UPLOAD_TTL_DEFAULT,
        requiresArg: true,
        coerce: durationOption('upload-ttl', { min: 1 }),
        describe: 'upload sessions idle for longer than this are removed',
      })
      .example('$0 gc --storage ./registry-data --dry-run', 'what a collection would free, without removing anything')
      .example('$0 gc --storage ./registry-data --grace 0', 'free everything unreferenced now (no push may be in progress)') as never,
  handler: async (argv) => {
    const report = await runGc(argv);
    process.stdout.write(gcReportLines(report, argv.storage).join('\n') + '\n');
  },
};
