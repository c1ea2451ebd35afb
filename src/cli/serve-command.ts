// `regprobe serve`: the bundled reference registry as a long-running process.
// Options come in groups (listen, storage, api, logging, shutdown); each group has its yargs options
// and a function turning parsed arguments into ReferenceServerOptions. A new group (auth) adds one
// `.options(...)` line to the builder and one spread to serverOptionsFrom().
import { constants, rmSync } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Argv, CommandModule, InferredOptionTypes } from 'yargs';
import { normalizePublicUrl } from '../../reference-server/http/public-url.js';
import { startReferenceServer, StorageLockedError, type ReferenceServer, type ReferenceServerOptions } from '../../reference-server/server.js';
import { makeLogger, type LogFormat, type ServerLogger } from '../../reference-server/logger.js';
import { DEFAULT_GC_GRACE_MS } from '../../reference-server/storage/index.js';
import { CliError } from './exit.js';
import { formatSize, sizeOption } from './sizes.js';
import { durationOption, formatDuration } from './durations.js';
import { authOptions, authorizerFrom, authSummary } from './serve-auth.js';
import { selfSignedOf, tlsFrom, tlsOptions, trustInstructions } from './serve-tls.js';
import { OTEL_OPTIONS, withTelemetry } from './otel-option.js';
import { activeTelemetry } from '../telemetry/sdk.js';
import { otelRequestTracing } from '../../reference-server/telemetry.js';
import { VERSION } from '../version.js';
import { COMMAND_TEXT } from './command-text.js';

const listenOptions = {
  host: { type: 'string', default: '127.0.0.1', requiresArg: true, describe: 'address to listen on (0.0.0.0 or :: for every interface)' },
  port: { type: 'number', default: 5000, requiresArg: true, describe: 'TCP port (0 = any free port; the URL line says which)' },
} as const;

// Apart from listenOptions so that ServeArgs built in code (tests) need not name them.
const exposureOptions = {
  'public-url': {
    type: 'string',
    requiresArg: true,
    describe: 'where clients reach this registry, e.g. https://registry.example.com behind a proxy: the token realm and every Location use it (default: relative Locations, realm from a plain Host header)',
  },
  'max-connections': {
    type: 'number',
    requiresArg: true,
    describe: 'open connections at most (default 1024); at the limit the longest-idle connection is closed to let a new one in',
  },
} as const;

const storageOptions = {
  storage: {
    type: 'string',
    requiresArg: true,
    describe: 'storage directory, created if missing and kept (default: a temporary directory, removed on exit)',
  },
} as const;

// No yargs defaults: the server's own apply (24 h TTL, gc off, 1 h grace), named in the text.
const gcOptions = {
  'upload-ttl': { type: 'string', requiresArg: true, coerce: durationOption('upload-ttl', { min: 1000 }), describe: 'remove upload sessions idle for longer than this (default 24h; e.g. 2h, 30m)' },
  'gc-interval': { type: 'string', requiresArg: true, coerce: durationOption('gc-interval', { min: 1000 }), describe: 'garbage-collect online this often (default: never; `regprobe gc` does it offline)' },
  'gc-grace': { type: 'string', requiresArg: true, coerce: durationOption('gc-grace'), describe: 'online gc leaves unreferenced blobs younger than this (default 1h: a push in progress)' },
} as const;

const apiOptions = {
  delete: { type: 'boolean', default: true, describe: 'allow deleting manifests, tags and blobs (--no-delete: 405 UNSUPPORTED)' },
  'automatic-mount': { type: 'boolean', default: true, describe: 'mount a blob by content on POST ?mount= without from= (--no-automatic-mount: open a session)' },
  'max-manifest-size': {
    type: 'string',
    default: '4MiB',
    requiresArg: true,
    coerce: sizeOption('max-manifest-size', { min: 1024 }),
    describe: 'largest manifest accepted (413 above): bytes or 512KiB, 4MiB, ...',
  },
} as const;

// Apart from apiOptions so that ServeArgs built in code (tests) need not name it.
const referrersOptions = {
  'referrers-page-size': {
    type: 'number',
    requiresArg: true,
    describe: 'referrers per response, 1-100000 (default 1000); a longer list comes in pages linked by Link rel="next"',
  },
} as const;

const logOptions = {
  'log-format': { choices: ['human', 'json', 'none'] as const, default: 'human' as const, describe: 'log lines on stdout: human, JSON lines, or none (status lines only)' },
} as const;

const shutdownOptions = {
  'shutdown-timeout': { type: 'number', default: 10, requiresArg: true, describe: 'seconds in-flight requests get to finish after SIGINT/SIGTERM (a second signal stops at once)' },
} as const;

export type ServeArgs = InferredOptionTypes<typeof listenOptions> &
  InferredOptionTypes<typeof storageOptions> &
  Partial<InferredOptionTypes<typeof gcOptions>> &
  InferredOptionTypes<typeof apiOptions> &
  InferredOptionTypes<typeof logOptions> &
  InferredOptionTypes<typeof shutdownOptions> &
  Partial<InferredOptionTypes<typeof authOptions>> &
  Partial<InferredOptionTypes<typeof tlsOptions>> &
  Partial<InferredOptionTypes<typeof referrersOptions>> &
  Partial<InferredOptionTypes<typeof exposureOptions>>;

export const serveCommand: CommandModule<object, ServeArgs> = {
  ...COMMAND_TEXT.serve,
  builder: (y: Argv<object>) =>
    y
      .usage('$0 serve [options]\n\nRuns the reference registry until SIGINT/SIGTERM. Prints the URL it listens on.')
      .options(listenOptions)
      .options(exposureOptions)
      .options(storageOptions)
      .options(gcOptions)
      .options(apiOptions)
      .options(referrersOptions)
      .options(logOptions)
      .options(shutdownOptions)
      .options(authOptions)
      .options(tlsOptions)
      .options(OTEL_OPTIONS)
      .group([...Object.keys(listenOptions), ...Object.keys(exposureOptions)], 'Listen:')
      .group([...Object.keys(storageOptions), ...Object.keys(gcOptions)], 'Storage:')
      .group([...Object.keys(apiOptions), ...Object.keys(referrersOptions), ...Object.keys(logOptions), ...Object.keys(shutdownOptions)], 'Registry:')
      .group(Object.keys(authOptions), 'Auth:')
      .group(Object.keys(tlsOptions), 'TLS:')
      .example('$0 serve --storage ./registry-data', 'serve on http://127.0.0.1:5000, keeping content in ./registry-data')
      .example('$0 serve --port 0 --log-format json', 'any free port, JSON log lines, temporary storage')
      .example('$0 serve --storage ./data --auth token --htpasswd users.htpasswd', 'token auth: /token issues JWTs; key and certificate kept in ./data/auth')
      .example('$0 serve --tls-self-signed ./tls', 'HTTPS on https://127.0.0.1:5000 with a CA made in ./tls (trust ./tls/ca.crt)') as unknown as Argv<ServeArgs>,
  handler: (argv) => withTelemetry(argv, 'serve', () => serve(argv), { rootSpan: false }),
};

/** Parsed arguments -> server options. Throws CliError for values yargs cannot check by itself. */
export async function serverOptionsFrom(args: ServeArgs, logger: ServerLogger): Promise<ReferenceServerOptions> {
  const storage = await storageFrom(args);
  const authorizer = await authorizerFrom(args, storage.storageDir);
  const tls = await tlsFrom(args, args.host);
  return {
    ...listenFrom(args),
    ...exposureFrom(args),
    ...storage,
    ...(authorizer ? { authorizer } : {}),
    ...(tls ? { tls: tls.tls } : {}),
    deleteEnabled: args.delete,
    automaticMount: args['automatic-mount'],
    maxManifestSize: args['max-manifest-size'],
    ...(args['upload-ttl'] !== undefined ? { uploadTtlMs: args['upload-ttl'] } : {}),
    ...(args['gc-interval'] !== undefined ? { gcIntervalMs: args['gc-interval'] } : {}),
    ...(args['gc-grace'] !== undefined ? { gcGraceMs: args['gc-grace'] } : {}),
    ...referrersPageSizeFrom(args),
    ...shutdownFrom(args),
    ...(activeTelemetry() ? { tracing: otelRequestTracing(VERSION) } : {}),
    logger,
  };
}

function referrersPageSizeFrom(args: ServeArgs): Pick<ReferenceServerOptions, 'referrersPageSize'> {
  const n = args['referrers-page-size'];
  if (n === undefined) return {};
  if (!Number.isInteger(n) || n < 1 || n > 100_000) throw new CliError(`--referrers-page-size: ${Number.isNaN(n) ? 'the value given' : String(n)} is not a whole number from 1 to 100000`);
  return { referrersPageSize: n };
}

function exposureFrom(args: ServeArgs): Pick<ReferenceServerOptions, 'publicUrl' | 'maxConnections'> {
  const out: Pick<ReferenceServerOptions, 'publicUrl' | 'maxConnections'> = {};
  const url = args['public-url'];
  if (url !== undefined) {
    try {
      out.publicUrl = normalizePublicUrl(url);
    } catch (err) {
      throw new CliError(`--public-url: ${(err as Error).message}`);
    }
  }
  const max = args['max-connections'];
  if (max !== undefined) {
    if (!Number.isInteger(max) || max < 1 || max > 1_000_000) throw new CliError(`--max-connections: ${String(max)} is not a whole number from 1 to 1000000`);
    out.maxConnections = max;
  }
  return out;
}

function shutdownFrom(args: ServeArgs): Pick<ReferenceServerOptions, 'shutdownTimeoutMs'> {
  const s = args['shutdown-timeout'];
  if (!Number.isFinite(s) || s < 0) throw new CliError(`--shutdown-timeout: ${String(s)} is not a number of seconds (0 or more)`);
  return { shutdownTimeoutMs: s * 1000 };
}

function listenFrom(args: ServeArgs): Pick<ReferenceServerOptions, 'host' | 'port'> {
  const port = args.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new CliError(`--port: ${String(port)} is not a port number (0-65535)`);
  if (args.host.trim() === '') throw new CliError('--host: empty address');
  return { host: args.host, port };
}

async function storageFrom(args: ServeArgs): Promise<Pick<ReferenceServerOptions, 'storageDir'>> {
  if (args.storage === undefined) return {};
  const dir = resolve(args.storage);
  try {
    await mkdir(dir, { recursive: true });
    if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (err) {
    throw new CliError(`--storage ${args.storage}: cannot use it as the storage directory (${fsReason(err)})`);
  }
  return { storageDir: dir };
}

function fsReason(err: unknown): string {
  const code = (err as { code?: string }).code;
  switch (code) {
    case 'ENOTDIR':
    case 'EEXIST':
      return 'it or a parent is not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    default:
      return code ?? (err as Error).message;
  }
}

/** A start failure the user can act on, as one line; undefined for anything else (a bug: rethrown). */
function startFailure(err: unknown, opts: ReferenceServerOptions): string | undefined {
  if (err instanceof StorageLockedError) return err.message;
  const code = (err as { code?: string }).code;
  const where = `${opts.host?.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
  switch (code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where}: the address is in use (choose another --port, or --port 0 for any free port)`;
    case 'EACCES':
    case 'EPERM':
      return (err as { syscall?: string }).syscall === 'listen' || (err as { syscall?: string }).syscall === 'bind'
        ? `cannot listen on ${where}: permission denied (ports below 1024 need privileges)`
        : `cannot use the storage directory: ${fsReason(err)}${(err as { path?: string }).path ? ` (${(err as { path?: string }).path})` : ''}`;
    case 'EADDRNOTAVAIL':
      return `cannot listen on ${where}: no such address on this machine (check --host)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot listen on ${where}: host name not found (check --host)`;
    case 'ENOTDIR':
    case 'EROFS':
    case 'ENOSPC':
      return `cannot use the storage directory: ${fsReason(err)}`;
    default:
      return undefined;
  }
}

/** Prints status lines in the chosen format: JSON lines stay pure JSON; otherwise one plain line. */
function statusWriter(format: LogFormat, logger: ServerLogger, out: NodeJS.WritableStream) {
  return (text: string, event: string, fields: Record<string, unknown> = {}) => {
    if (format === 'json') logger.info(event, fields);
    else out.write(`regprobe serve: ${text}\n`);
  };
}

export interface ServeIo {
  out: NodeJS.WritableStream;
  /** Resolves with the reason to stop (default: the first SIGINT/SIGTERM). */
  stopRequested?: () => Promise<string>;
}

export async function serve(args: ServeArgs, io: ServeIo = { out: process.stdout }): Promise<void> {
  const format = args['log-format'];
  // A reader that went away (`regprobe serve | head`) must not take the registry down with it.
  io.out.on('error', () => undefined);
  const logger = makeLogger(format, io.out);
  const status = statusWriter(format, logger, io.out);
  const opts = await serverOptionsFrom(args, logger);

  // Listen for signals before the server starts, so an early Ctrl-C is a clean stop, not a crash.
  const signals = io.stopRequested ? undefined : firstSignal();
  const stopping = io.stopRequested ? io.stopRequested() : signals!.received;
  let server: ReferenceServer;
  try {
    server = await startReferenceServer(opts);
  } catch (err) {
    signals?.cancel();
    const line = startFailure(err, opts);
    if (line) throw new CliError(line);
    throw err;
  }
  const temporary = opts.storageDir === undefined;
  if (temporary) beforeHardStop.push(() => rmSync(server.storageDir, { recursive: true, force: true }));
  status(
    `listening on ${server.url} (storage ${server.storageDir}${temporary ? ', temporary: removed on exit; --storage DIR keeps it' : ''}; delete ${opts.deleteEnabled ? 'on' : 'off'}, automatic mount ${opts.automaticMount ? 'on' : 'off'}, max manifest ${formatSize(opts.maxManifestSize!)}${opts.publicUrl ? `; public URL ${opts.publicUrl}` : ''}; ${authSummary(opts.authorizer, opts.publicUrl ?? server.url)})`,
    'serve started',
    { url: server.url, ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}), storage: server.storageDir, temporaryStorage: temporary, deleteEnabled: opts.deleteEnabled, automaticMount: opts.automaticMount, maxManifestSize: opts.maxManifestSize },
  );
  if (opts.gcIntervalMs !== undefined) {
    status(
      `garbage collection every ${formatDuration(opts.gcIntervalMs)} (grace ${formatDuration(opts.gcGraceMs ?? DEFAULT_GC_GRACE_MS)}; each run is logged as "garbage collected")`,
      'gc scheduled',
      { intervalMs: opts.gcIntervalMs, graceMs: opts.gcGraceMs ?? DEFAULT_GC_GRACE_MS },
    );
  }
  const selfSigned = selfSignedOf(opts.tls);
  if (selfSigned) {
    status(trustInstructions(selfSigned, server.host, server.port).join('\n'), 'tls self-signed', { caFile: selfSigned.caFile, certDir: selfSigned.dir, hosts: selfSigned.hosts, state: selfSigned.state });
  }

  const reason = await stopping;
  status(`${reason}: finishing in-flight requests (up to ${args['shutdown-timeout']} s; signal again to stop at once)`, 'stopping', { reason, timeoutSeconds: args['shutdown-timeout'] });
  // close() cuts connections still busy after shutdownTimeoutMs; storage renames whole files into
  // place, so a cut request leaves nothing half-written visible.
  await server.close();
  await (opts.authorizer as { close?: () => Promise<void> } | undefined)?.close?.();
  status('stopped', 'stopped', {});
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** `received` resolves on the first SIGINT/SIGTERM; after it, a second one ends the process at once. */
function firstSignal(): { received: Promise<string>; cancel(): void } {
  let first: (sig: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<string>((resolveStop) => {
    first = (sig) => {
      for (const s of SIGNALS) process.off(s, first);
      for (const s of SIGNALS) process.once(s, stopNow);
      resolveStop(sig);
    };
    for (const s of SIGNALS) process.on(s, first);
  });
  return { received, cancel: () => SIGNALS.forEach((s) => process.off(s, first)) };
}

/** Synchronous work to do before a second signal ends the process (removing temporary storage). */
const beforeHardStop: (() => void)[] = [];

/**
 * The user asked twice: end the process now. Re-raising the signal with its default action gives
 * the parent the conventional status (killed by the signal, 128 + n in a shell).
 */
function stopNow(sig: NodeJS.Signals): void {
  for (const s of SIGNALS) process.removeAllListeners(s);
  for (const f of beforeHardStop.splice(0)) f();
  process.kill(process.pid, sig);
}

