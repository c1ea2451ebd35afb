// Starts the registry under test from an image with testcontainers: pulls it when missing, publishes
// its port on 127.0.0.1 only (when the engine is on this machine), waits until GET /v2/ answers 200
// or 401 (a registry that exits first is reported with its exit code and log), and removes the
// container again: on stop(), and on SIGINT/SIGTERM (then the process exits 130/143). Every wait
// is bounded. Errors are one line a user can act on.
import { randomBytes } from 'node:crypto';
import { createServer, isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { GenericContainer, getContainerRuntimeClient, getReaper, ImageName, type BoundPorts, type ContainerRuntimeClient, type StartedTestContainer, type WaitStrategy } from 'testcontainers';
import { RegistryClient } from '../client/registry-client.js';
import { oneLine } from '../conformance/probe.js';
import type { ContainerSpec, PresetName } from './presets.js';

type DockerContainer = Parameters<WaitStrategy['waitUntilReady']>[0];

/** No Docker engine could be reached. */
export class ContainerEngineError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerEngineError';
  }
}

/** The image could not be pulled, the container not started, or its registry never answered. */
export class ContainerStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerStartError';
  }
}

export interface RunningRegistry {
  /** Base URL of the registry as this process reaches it. */
  url: string;
  image: string;
  preset?: PresetName;
  /** Container id (12 hex digits). */
  id: string;
  /** Stops and removes the container; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Status lines (pulling, ready, removed); none when absent. */
  onProgress?: (line: string) => void;
  /** Seconds a missing image may take to pull. */
  pullTimeoutMs?: number;
  /** Seconds allowed to reach the Docker engine. */
  engineTimeoutMs?: number;
}

const ENGINE_TIMEOUT_MS = 20_000;
const PULL_TIMEOUT_MS = 15 * 60_000;
const STOP_TIMEOUT_MS = 20_000;
/** Time the engine may take to register a wait for the container's exit (it answers at once when well). */
const WATCH_TIMEOUT_MS = 10_000;

/** Resolves with `p`, or rejects with `onTimeout()` after `ms`. */
function bounded<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export function noEngineMessage(env: NodeJS.ProcessEnv = process.env): string {
  const where = env.DOCKER_HOST ? `at DOCKER_HOST=${env.DOCKER_HOST}` : 'at /var/run/docker.sock or the rootless sockets, and DOCKER_HOST is not set';
  return `--container needs a Docker engine and none answers ${where}: start Docker, or point DOCKER_HOST at one (e.g. DOCKER_HOST=unix:///var/run/docker.sock or DOCKER_HOST=tcp://HOST:2375)`;
}

/** The Docker engine testcontainers finds (DOCKER_HOST, ~/.testcontainers.properties, the usual sockets). */
export async function dockerEngine(timeoutMs = ENGINE_TIMEOUT_MS): Promise<ContainerRuntimeClient> {
  try {
    return await bounded(getContainerRuntimeClient(), timeoutMs, () => new Error('timed out'));
  } catch {
    throw new ContainerEngineError(noEngineMessage());
  }
}

/** True when `host` is this machine: then published ports can be bound to loopback only. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/**
 * True when the engine's address belongs to this machine (loopback, or an address this process can
 * listen on, e.g. the bridge gateway testcontainers picks when /.dockerenv exists): then ports are
 * published on 127.0.0.1 only and reached there. Otherwise (a remote engine) they must be published
 * on the engine's interfaces to be reachable at all.
 */
export async function isThisMachine(host: string): Promise<boolean> {
  if (isLoopbackHost(host)) return true;
  const ip = host.replace(/^\[|\]$/g, '');
  if (isIP(ip) === 0) return false;
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, ip, () => probe.close(() => resolve(true)));
  });
}

/** Waits until GET /v2/ answers 200 or 401; fails early, with the container's last log lines, when it exits. */
class RegistryReady implements WaitStrategy {
  private timeoutMs = 60_000;
  private timeoutSet = false;
  constructor(
    private readonly port: number,
    private readonly host: string,
    private readonly describe: () => string,
    /** Called when the wait begins: from then on this wait reports an exit itself. */
    private readonly onWaiting: () => void = () => {},
  ) {}

  withStartupTimeout(ms: number): this {
    this.timeoutMs = ms;
    this.timeoutSet = true;
    return this;
  }
  isStartupTimeoutSet(): boolean {
    return this.timeoutSet;
  }
  getStartupTimeout(): number {
    return this.timeoutMs;
  }

  async waitUntilReady(container: DockerContainer, boundPorts: BoundPorts): Promise<void> {
    this.onWaiting();
    const url = `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${boundPorts.getBinding(this.port)}/`;
    const client = new RegistryClient({ baseUrl: url, timeoutMs: 2000, userAgent: 'regprobe' });
    const deadline = Date.now() + this.timeoutMs;
    let last = 'no answer yet';
    try {
      for (;;) {
        const state = (await container.inspect()).State;
        if (!state.Running) throw await exitedError(container, this.describe(), state.ExitCode);
        try {
          const res = await client.request({ method: 'GET', path: '/v2/', timeoutMs: Math.max(100, Math.min(2000, deadline - Date.now())) });
          await res.dump();
          if (res.status === 200 || res.status === 401) return;
          last = `GET /v2/ answered ${res.status}`;
        } catch (err) {
          last = oneLine((err as Error).message);
        }
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await client.close();
    }
    const logs = await lastLogLines(container, 3);
    throw new ContainerStartError(
      `${this.describe()} did not answer GET /v2/ with 200 or 401 within ${Math.round(this.timeoutMs / 1000)} s (last: ${last}; is --container-port the port it listens on?)${logs ? `; its log says: ${logs}` : ''}`,
    );
  }
}

/** The error for a registry that ended before it answered: its exit code and what its log says. */
async function exitedError(container: DockerContainer, describe: string, code: number): Promise<ContainerStartError> {
  const logs = await lastLogLines(container, 5);
  return new ContainerStartError(`${describe} exited (code ${code}) before GET /v2/ answered${logs ? `; its log says: ${logs}` : ' (it logged nothing)'}`);
}

/** The container's state when it has run and ended (exited or dead); undefined while it runs, before it starts, or when it is gone. */
async function endedState(container: DockerContainer): Promise<{ ExitCode: number } | undefined> {
  try {
    const state = (await bounded(container.inspect(), ENGINE_TIMEOUT_MS, () => new Error('timed out'))).State;
    return !state.Running && (state.Status === 'exited' || state.Status === 'dead') ? state : undefined;
  } catch {
    return undefined;
  }
}

interface ExitWatch {
  /** Resolves when the container stops; never when the watch could not be set up or was cancelled. */
  stopped: Promise<void>;
  cancel(): void;
}

/**
 * Asks the engine to say when the container next stops (POST /containers/ID/wait?condition=next-exit).
 * Resolves once the engine has registered that wait (it sends the response headers only then), so
 * that an exit right after start is not missed, however slow this process is to look (testcontainers
 * only polls for bound ports, which an exited container never has, and times out after 10 s).
 */
function watchNextExit(container: DockerContainer, timeoutMs = WATCH_TIMEOUT_MS): Promise<ExitWatch> {
  const abort = new AbortController();
  const cancel = () => abort.abort();
  const never: ExitWatch = { stopped: new Promise<void>(() => {}), cancel };
  const dial = new Promise<ExitWatch>((resolve) => {
    container.modem.dial(
      {
        path: `/containers/${container.id}/wait?`,
        method: 'POST',
        isStream: true,
        abortSignal: abort.signal,
        statusCodes: { 200: true, 400: 'bad parameter', 404: 'no such container', 500: 'server error' },
        options: { condition: 'next-exit' },
      },
      (err: Error | null, res: IncomingMessage | null) => {
        if (err || !res) return resolve(never);
        const stopped = new Promise<void>((done) => {
          res.on('error', () => {}); // aborted by cancel(): the watch just ends
          res.on('end', () => done());
          res.resume();
        });
        resolve({ stopped, cancel });
      },
    );
  });
  return bounded(dial, timeoutMs, () => new Error('timed out')).catch(() => {
    cancel();
    return never;
  });
}

const LOG_LINE_MAX = 300;
const ERROR_LINE = /\b(panic|fatal|error|err)\b[:=]|level=(error|fatal)|^panic:/i;

/**
 * What the container's log says, on one line: its first error-looking line of the last 50 (a Go
 * panic's message comes before the stack), else the last `n` lines. Empty when there is no log.
 */
async function lastLogLines(container: DockerContainer, n: number): Promise<string> {
  try {
    const buf = (await bounded(container.logs({ stdout: true, stderr: true, follow: false, tail: 50 }), 5000, () => new Error('timed out'))) as unknown as Buffer;
    const lines = demux(buf)
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean)
      .map((l) => (l.length > LOG_LINE_MAX ? `${l.slice(0, LOG_LINE_MAX)}...` : l));
    const error = lines.find((l) => ERROR_LINE.test(l));
    return error ?? lines.slice(-n).join(' | ');
  } catch {
    return '';
  }
}

/** Docker's log stream without a TTY: frames of [stream, 0, 0, 0, size (4 bytes BE)] + payload. */
function demux(buf: Buffer): string {
  if (buf.length < 8 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0 || buf[0]! > 2) return buf.toString('utf8');
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(parts).toString('utf8');
}

/** A GenericContainer that binds its published ports to one host address and reports its id when created. */
class RegistryContainer extends GenericContainer {
  constructor(
    image: string,
    private readonly hostIp: string | undefined,
    private readonly onCreated: (id: string) => Promise<void>,
  ) {
    super(image);
  }

  protected override async beforeContainerCreated(): Promise<void> {
    if (this.hostIp === undefined) return;
    const bindings = this.hostConfig.PortBindings as Record<string, Array<Record<string, string>>> | undefined;
    for (const [port, list] of Object.entries(bindings ?? {})) bindings![port] = list.map((b) => ({ ...b, HostIp: this.hostIp! }));
  }

  protected override async containerCreated(containerId: string): Promise<void> {
    await this.onCreated(containerId);
  }
}

/**
 * Starts a container from `spec` and waits for its registry. While it runs, SIGINT and SIGTERM remove
 * it and end the process (130 / 143); a second signal ends the process at once.
 */
export async function startRegistryContainer(spec: ContainerSpec, opts: StartOptions = {}): Promise<RunningRegistry> {
  const say = opts.onProgress ?? (() => {});
  const engine = await dockerEngine(opts.engineTimeoutMs);
  const engineHost = engine.info.containerRuntime.host;
  const local = await isThisMachine(engineHost);
  const host = local ? '127.0.0.1' : engineHost;
  const label = `${spec.image}${spec.preset ? ` (preset ${spec.preset})` : ''}`;

  let createdId: string | undefined;
  let started: StartedTestContainer | undefined;
  let stopped = false;
  const removeCreated = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      if (started) await started.stop({ timeout: 0, remove: true, removeVolumes: true });
      else if (createdId) await engine.container.dockerode.getContainer(createdId).remove({ force: true, v: true });
    } catch (err) {
      // Already gone: testcontainers removes a container whose wait failed.
      if ((err as { statusCode?: number }).statusCode !== 404) throw err;
    }
  };
  const teardown = async (): Promise<void> => {
    const id = (createdId ?? '').slice(0, 12);
    try {
      await bounded(removeCreated(), STOP_TIMEOUT_MS, () => new Error(`timed out after ${STOP_TIMEOUT_MS / 1000} s`));
      if (id) say(`${id} stopped and removed`);
    } catch (err) {
      say(`could not remove container ${id}: ${oneLine((err as Error).message)} (remove it with: docker rm -f ${id})`);
    }
  };
  const release = guardSignals(async (signal) => {
    say(`${signal}: stopping the registry container${createdId ? ` ${createdId.slice(0, 12)}` : ''}`);
    await teardown();
  });
  const stop = async (): Promise<void> => {
    release();
    await teardown();
  };

  try {
    const imageName = ImageName.fromString(spec.image);
    if (!(await engine.image.exists(imageName))) {
      say(`pulling ${spec.image}`);
      try {
        await bounded(engine.image.pull(imageName), opts.pullTimeoutMs ?? PULL_TIMEOUT_MS, () => new Error(`timed out after ${Math.round((opts.pullTimeoutMs ?? PULL_TIMEOUT_MS) / 1000)} s`));
      } catch (err) {
        throw new ContainerStartError(`the image ${spec.image} is not on the Docker engine and could not be pulled: ${oneLine((err as Error).message)}`);
      }
    }
    // testcontainers' reaper (testcontainers/ryuk) removes the registry even after a SIGKILL; start it
    // first so that its failure is not blamed on the registry's image.
    try {
      await bounded(getReaper(engine), opts.pullTimeoutMs ?? PULL_TIMEOUT_MS, () => new Error('timed out'));
    } catch (err) {
      throw new ContainerStartError(
        `testcontainers could not start its reaper container (testcontainers/ryuk): ${oneLine((err as Error).message)}; where that image cannot be pulled, set TESTCONTAINERS_RYUK_DISABLED=true (regprobe still removes the registry when it ends)`,
      );
    }
    const describe = `the registry in ${label}`;
    // A registry that exits at start must be reported as such, with its exit code and log, not as
    // testcontainers' timeout waiting for bound ports (an exited container has none). Until our wait
    // for GET /v2/ begins (it then reports an exit itself), the engine's word that the container
    // stopped ends the start at once.
    let waiting = false;
    let exitWatch: ExitWatch | undefined;
    let failEarly: (err: Error) => void = () => {};
    const exitedEarly = new Promise<never>((_, reject) => (failEarly = reject));
    exitedEarly.catch(() => {});
    const onCreated = async (id: string): Promise<void> => {
      createdId = id;
      const handle = engine.container.dockerode.getContainer(id);
      exitWatch = await watchNextExit(handle);
      void exitWatch.stopped.then(async () => {
        if (waiting) return;
        const state = await endedState(handle);
        if (state && !waiting) failEarly(await exitedError(handle, describe, state.ExitCode));
      });
    };
    const container = new RegistryContainer(spec.image, local ? '127.0.0.1' : undefined, onCreated)
      .withName(`regprobe-${spec.preset ?? 'registry'}-${randomBytes(4).toString('hex')}`)
      .withExposedPorts(spec.port)
      .withEnvironment(spec.env)
      .withWaitStrategy(new RegistryReady(spec.port, host, () => describe, () => (waiting = true)))
      .withStartupTimeout(spec.startupTimeoutMs)
      .withLabels({ 'org.regprobe.role': 'registry-under-test' });
    if (spec.command) container.withCommand(spec.command);
    if (spec.files.length > 0) container.withCopyContentToContainer(spec.files.map((f) => ({ content: f.content, target: f.path })));
    say(`starting ${label}`);
    const t0 = Date.now();
    const starting = container.start();
    // When the exit wins the race, testcontainers' start is left to fail on its own (the container is removed below).
    starting.catch(() => {});
    try {
      started = await Promise.race([starting, exitedEarly]);
    } catch (err) {
      if (err instanceof ContainerStartError) throw err;
      // The watch could not be set up (or missed the exit): ask the engine whether the container has ended.
      const handle = createdId ? engine.container.dockerode.getContainer(createdId) : undefined;
      const state = handle && (await endedState(handle));
      if (handle && state) throw await exitedError(handle, describe, state.ExitCode);
      throw new ContainerStartError(`cannot start ${label}: ${oneLine((err as Error).message)}`);
    } finally {
      exitWatch?.cancel();
    }
    createdId = started.getId();
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${started.getMappedPort(spec.port)}`;
    say(`${label} answers at ${url} (container ${createdId.slice(0, 12)}, ready in ${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    return { url, image: spec.image, ...(spec.preset ? { preset: spec.preset } : {}), id: createdId.slice(0, 12), stop };
  } catch (err) {
    // testcontainers removes a container whose wait failed; this covers every other failure.
    await stop();
    throw err;
  }
}

/**
 * Installs SIGINT/SIGTERM handlers that run `teardown` and exit 130 / 143 (a second signal exits at
 * once); returns the function that removes them.
 */
function guardSignals(teardown: (signal: NodeJS.Signals) => Promise<void>): () => void {
  let busy = false;
  const handler = (signal: NodeJS.Signals) => {
    const code = signal === 'SIGINT' ? 130 : 143;
    if (busy) process.exit(code);
    busy = true;
    void teardown(signal).finally(() => process.exit(code));
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.removeListener('SIGINT', handler);
    process.removeListener('SIGTERM', handler);
  };
}
