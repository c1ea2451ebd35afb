// The connection pool of a load generator (regprobe bench): keep-alive connections without a
// per-origin cap (the drivers bound concurrency themselves), and an optional request-rate ceiling
// (--max-rps) applied to every HTTP request, so a benchmark cannot exceed what the user allowed.
import { Agent, type Dispatcher } from 'undici';
import { keepFreedHeapMemory } from '../runtime/allocator.js';

/** The TLS settings and pacer of each load dispatcher: the lean load path (lean-http.ts) uses the same. */
const loadSettings = new WeakMap<Dispatcher, { insecure: boolean; ca?: string | Buffer; pacer?: RequestPacer }>();

/** The settings of a dispatcher made by createLoadDispatcher; undefined for any other dispatcher. */
export function loadDispatcherSettings(d: Dispatcher): { insecure: boolean; ca?: string | Buffer; pacer?: RequestPacer } | undefined {
  return loadSettings.get(d);
}

export interface LoadDispatcherOptions {
  insecure?: boolean;
  ca?: string | Buffer;
  /** Requests per second across all requests of this dispatcher; undefined = no ceiling. */
  maxRps?: number;
  /** A pacer shared with other dispatchers (one ceiling for several pools); overrides maxRps. */
  pacer?: RequestPacer;
  /** Connections per origin; default unlimited (the drivers bound in-flight work). */
  connections?: number;
}

/** Paces request starts to at most `rate` per second (evenly spaced, no bursts). */
export class RequestPacer {
  private nextAt = 0;
  private readonly interval: number;
  constructor(rate: number, private readonly now: () => number = () => performance.now()) {
    if (!(rate > 0)) throw new RangeError('rate must be > 0');
    this.interval = 1000 / rate;
  }
  /** Milliseconds the caller must wait before starting a request (reserves the slot). */
  reserve(): number {
    const t = this.now();
    const at = Math.max(t, this.nextAt);
    this.nextAt = at + this.interval;
    return at - t;
  }

  /**
   * Reserves a slot and calls `start` at it, never before. A timer alone can fire early: it runs by
   * the event loop's clock, read once per loop turn, which on a busy machine lags the real one by
   * milliseconds; so the slot is checked again when the timer fires.
   */
  schedule(start: () => void): void {
    // Read after the reservation, so `at` is never before the slot (the clock only moves on).
    const wait = this.reserve();
    const at = this.now() + wait;
    const due = (): void => {
      const left = at - this.now();
      if (left > 0) setTimeout(due, left);
      else start();
    };
    due();
  }
}

export function createLoadDispatcher(opts: LoadDispatcherOptions = {}): Dispatcher {
  // A load generator reads bodies as fast as the registry sends them: see allocator.ts.
  keepFreedHeapMemory();
  const agent = new Agent({
    ...(opts.connections !== undefined ? { connections: opts.connections } : {}),
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    pipelining: 1,
    connect: { rejectUnauthorized: !opts.insecure, ...(opts.ca ? { ca: opts.ca } : {}) },
  });
  // undici closes the connection after every HEAD (in case a server sends a body anyway), so each
  // manifest or blob HEAD would cost a TCP handshake: a benchmark would measure connection setup,
  // and no real client (Go's net/http, containerd) does that. The load pool keeps HEADs alive.
  const keepHeadsAlive: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) =>
    dispatch(options.method === 'HEAD' && options.reset === undefined ? { ...options, reset: false } : options, handler);
  const settings = { insecure: opts.insecure ?? false, ...(opts.ca ? { ca: opts.ca } : {}) };
  if (opts.maxRps === undefined && !opts.pacer) {
    const d = agent.compose(keepHeadsAlive);
    loadSettings.set(d, settings);
    return d;
  }
  const pacer = opts.pacer ?? new RequestPacer(opts.maxRps!);
  const paced: Dispatcher.DispatcherComposeInterceptor = (dispatch) => (options, handler) => {
    pacer.schedule(() => dispatch(options, handler));
    return true;
  };
  const d = agent.compose(keepHeadsAlive, paced);
  loadSettings.set(d, { ...settings, pacer });
  return d;
}
