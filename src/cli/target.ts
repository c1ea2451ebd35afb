// The registry a command tests: the URL the user named, a registry started from an image
// (--container, src/containers/), or (with neither) the bundled reference registry started
// in-process on a free loopback port with temporary storage. Shared by conformance, run, bench.
import { readFile } from 'node:fs/promises';
import { RegistryClient } from '../client/registry-client.js';
import type { ContainerSpec } from '../containers/presets.js';
import type { RunningRegistry } from '../containers/registry-container.js';
import { containerSpecFrom, type ContainerArgs } from './container-options.js';
import { CliError } from './exit.js';
import { resolveAuth, type AuthArgs, type ResolvedAuth } from './resolve-auth.js';

export interface TargetSettings {
  /** Registry base URL; undefined = start the reference registry (or the container). */
  url?: string;
  /** Start the registry from this image instead (--container). */
  container?: ContainerSpec;
  /** No status lines on stderr (the container's pull/start/stop). */
  quiet?: boolean;
  insecure: boolean;
  caFile?: string;
  /** Per-request timeout. */
  timeoutMs: number;
  auth: ResolvedAuth;
}

export interface Target {
  url: string;
  /** True when this is the bundled reference registry started for this command. */
  reference: boolean;
  client: RegistryClient;
  hasCredentials: boolean;
  /** The container the registry runs in, when started with --container. */
  container?: { image: string; id: string; preset?: string };
  close(): Promise<void>;
}

/** The target options every command shares (URL, TLS, --timeout in seconds, credentials). */
export interface TargetArgs extends AuthArgs, ContainerArgs {
  url?: string;
  insecure: boolean;
  caFile?: string;
  timeout: number;
  quiet?: boolean;
}

export function targetSettingsFrom(argv: TargetArgs, env: NodeJS.ProcessEnv = process.env): TargetSettings {
  if (!Number.isFinite(argv.timeout) || argv.timeout <= 0) throw new CliError(`--timeout must be a number of seconds above 0, got ${argv.timeout}`);
  const container = containerSpecFrom(argv);
  return {
    ...(argv.url !== undefined ? { url: argv.url } : {}),
    ...(container ? { container } : {}),
    ...(argv.quiet ? { quiet: true } : {}),
    insecure: argv.insecure,
    ...(argv.caFile !== undefined ? { caFile: argv.caFile } : {}),
    timeoutMs: Math.round(argv.timeout * 1000),
    auth: resolveAuth(argv, env),
  };
}

/** Checks a registry URL from the command line; returns it normalized (no trailing /v2). */
export function parseTargetUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new CliError(`not a URL: ${raw} (give the registry's base URL, e.g. https://registry.example.com or http://127.0.0.1:5000)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new CliError(`the registry URL must start with http:// or https://, got ${raw}`);
  }
  // People paste the API root; the client adds /v2/ itself.
  u.pathname = u.pathname.replace(/\/v2\/?$/, '/');
  u.search = '';
  u.hash = '';
  return u.toString();
}

export async function openTarget(s: TargetSettings): Promise<Target> {
  let ca: string | undefined;
  if (s.caFile !== undefined) {
    try {
      ca = await readFile(s.caFile, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read --ca-file ${s.caFile}: ${(err as { code?: string }).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new CliError(`--ca-file ${s.caFile} holds no PEM certificate`);
  }
  const clientFor = (url: string) =>
    new RegistryClient({
      baseUrl: url,
      insecure: s.insecure,
      ...(ca ? { ca } : {}),
      timeoutMs: s.timeoutMs,
      ...(s.auth.provider ? { auth: s.auth.provider } : {}),
      userAgent: 'regprobe',
    });

  if (s.container !== undefined) return openContainerTarget(s, s.container, clientFor);
  if (s.url !== undefined) {
    const url = parseTargetUrl(s.url);
    // The docker config is read for this registry now that it is known.
    const hasCredentials = s.auth.prepare ? await s.auth.prepare(url) : s.auth.hasCredentials;
    const client = clientFor(url);
    return {
      url,
      reference: false,
      client,
      hasCredentials,
      close: async () => {
        await client.close();
        await s.auth.close?.();
      },
    };
  }
  // Loaded only when it runs: a command with a URL does not pay for the reference registry's modules.
  const { startReferenceServer } = await import('../../reference-server/server.js');
  const server = await startReferenceServer({ host: '127.0.0.1', port: 0, deleteEnabled: true });
  const client = clientFor(server.url);
  return {
    url: server.url,
    reference: true,
    client,
    hasCredentials: false,
    close: async () => {
      await client.close();
      await s.auth.close?.();
      await server.close();
    },
  };
}

/** Starts the registry's container (exit 2 without Docker or when it does not start) and opens a client on it. */
async function openContainerTarget(s: TargetSettings, spec: ContainerSpec, clientFor: (url: string) => RegistryClient): Promise<Target> {
  // testcontainers (dockerode, ssh2, ...) takes seconds to load: only commands with --container pay for it.
  const { ContainerEngineError, ContainerStartError, startRegistryContainer } = await import('../containers/registry-container.js');
  let running: RunningRegistry;
  try {
    running = await startRegistryContainer(spec, s.quiet ? {} : { onProgress: (line) => process.stderr.write(`container: ${line}\n`) });
  } catch (err) {
    if (err instanceof ContainerEngineError || err instanceof ContainerStartError) throw new CliError(err.message);
    throw err;
  }
  try {
    const hasCredentials = s.auth.prepare ? await s.auth.prepare(running.url) : s.auth.hasCredentials;
    const client = clientFor(running.url);
    return {
      url: running.url,
      reference: false,
      client,
      hasCredentials,
      container: { image: running.image, id: running.id, ...(running.preset ? { preset: running.preset } : {}) },
      close: async () => {
        try {
          await client.close();
          await s.auth.close?.();
        } finally {
          await running.stop();
        }
      },
    };
  } catch (err) {
    await running.stop();
    throw err;
  }
}

/** Opens the target, runs `body`, always closes it (stops the in-process reference registry). */
export async function withTarget<R>(s: TargetSettings, body: (t: Target) => Promise<R>): Promise<R> {
  const target = await openTarget(s);
  try {
    return await body(target);
  } finally {
    await target.close();
  }
}
