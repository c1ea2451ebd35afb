// Hashing of large blobs on worker threads. A load generator's main thread reads the sockets; sha256
// of every byte on that same thread (about 40 ms per 64 MiB even with SHA-NI) would halve what one
// process can pull and make the driver, not the registry, the bottleneck. Bytes are copied into
// batches that are transferred (not cloned) to a worker and handed back for reuse once hashed.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { Digester, type DigestAlgorithm } from './digest.js';

/** What a streaming reader feeds: `update` may ask the caller to wait (the worker is behind). */
export interface StreamDigester {
  update(chunk: Uint8Array): void | Promise<void>;
  /** Finalizes; call once. */
  digest(): string | Promise<string>;
  /** Gives up (the stream failed); the digest is never asked for. */
  abort(): void;
}

/** Bytes per message to a worker. */
const BATCH_BYTES = 1024 * 1024;
/** Batches one digester may have queued at a worker before `update` makes the reader wait. */
const MAX_IN_FLIGHT = 8;
/**
 * Batches queued in the whole pool beyond which every digester that already has one queued waits:
 * memory stays under about (this + concurrent digesters) MiB however many blobs stream at once.
 */
const POOL_MAX_IN_FLIGHT = 32;
/** Reused batch buffers kept by the pool (bounds its idle memory to 32 MiB). */
const MAX_FREE_BATCHES = 32;

// CommonJS source evaluated in the worker, so it loads the same way from sources, dist/ and tests.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'start') hashes.set(m.id, createHash(m.alg));
  else if (m.op === 'update') {
    const h = hashes.get(m.id);
    if (h) h.update(new Uint8Array(m.buf, 0, m.len));
    parentPort.postMessage({ op: 'ack', id: m.id, buf: m.buf }, [m.buf]);
  } else if (m.op === 'digest') {
    const h = hashes.get(m.id);
    hashes.delete(m.id);
    parentPort.postMessage({ op: 'digest', id: m.id, hex: h ? h.digest('hex') : '' });
  } else if (m.op === 'abort') hashes.delete(m.id);
});
`;

type WorkerMessage = { op: 'ack'; id: number; buf: ArrayBuffer } | { op: 'digest'; id: number; hex: string };

interface Session {
  onAck(buf: ArrayBuffer): void;
  onDigest(hex: string): void;
  onFail(err: Error): void;
}

class PoolWorker {
  readonly worker: Worker;
  readonly sessions = new Map<number, Session>();
  dead = false;
  /** Batches sent to this worker and not yet acknowledged (aborted sessions' included). */
  inFlight = 0;

  constructor(onRecycle: (buf: ArrayBuffer) => void) {
    // No inherited flags: the worker needs no loader, and --input-type=module would make it ESM.
    this.worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
    this.worker.unref();
    this.worker.on('message', (m: WorkerMessage) => {
      const s = this.sessions.get(m.id);
      if (m.op === 'ack') {
        this.inFlight--;
        if (s) s.onAck(m.buf);
        else onRecycle(m.buf);
      } else if (s) {
        this.sessions.delete(m.id);
        this.idleCheck();
        s.onDigest(m.hex);
      }
    });
    const fail = (err: Error) => {
      this.dead = true;
      const all = [...this.sessions.values()];
      this.sessions.clear();
      for (const s of all) s.onFail(err);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`digest worker exited (code ${code})`)));
  }

  add(id: number, s: Session): void {
    if (this.sessions.size === 0) this.worker.ref();
    this.sessions.set(id, s);
  }

  remove(id: number): void {
    if (this.sessions.delete(id)) this.idleCheck();
  }

  /** An idle worker must not keep the process alive. */
  private idleCheck(): void {
    if (this.sessions.size === 0) this.worker.unref();
  }
}

export class DigestPool {
  private readonly workers: PoolWorker[] = [];
  private readonly free: ArrayBuffer[] = [];
  private nextId = 1;

  /** Workers to spread over; by default one core is left to the thread that reads the sockets. */
  constructor(readonly size = Math.max(1, Math.min(4, availableParallelism() - 1))) {}

  digester(algorithm: DigestAlgorithm): StreamDigester {
    return new PooledDigester(this, algorithm);
  }

  /** The least busy live worker (started on first use). */
  pick(): PoolWorker {
    for (let i = this.workers.length - 1; i >= 0; i--) if (this.workers[i]!.dead) this.workers.splice(i, 1);
    if (this.workers.length < this.size) {
      const w = new PoolWorker((buf) => this.recycle(buf));
      this.workers.push(w);
      return w;
    }
    return this.workers.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
  }

  /** Batches queued at live workers. */
  inFlight(): number {
    let n = 0;
    for (const w of this.workers) if (!w.dead) n += w.inFlight;
    return n;
  }

  newId(): number {
    return this.nextId++;
  }

  batch(): ArrayBuffer {
    return this.free.pop() ?? new ArrayBuffer(BATCH_BYTES);
  }

  recycle(buf: ArrayBuffer): void {
    if (buf.byteLength === BATCH_BYTES && this.free.length < MAX_FREE_BATCHES) this.free.push(buf);
  }

  /** Stops the workers (tests; a CLI process exits without it, idle workers are unref'd). */
  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.worker.terminate()));
  }
}

class PooledDigester implements StreamDigester {
  private readonly worker: PoolWorker;
  private readonly id: number;
  private batch: ArrayBuffer | undefined;
  private filled = 0;
  private inFlight = 0;
  private failure: Error | undefined;
  private resumeWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private result: { resolve: (hex: string) => void; reject: (e: Error) => void } | undefined;
  private finished = false;

  constructor(private readonly pool: DigestPool, private readonly algorithm: DigestAlgorithm) {
    this.worker = pool.pick();
    this.id = pool.newId();
    this.worker.add(this.id, {
      onAck: (buf) => {
        this.inFlight--;
        pool.recycle(buf);
        // The reader re-checks the limits at its next update.
        const w = this.resumeWaiter;
        this.resumeWaiter = undefined;
        w?.resolve();
      },
      onDigest: (hex) => this.result?.resolve(`${algorithm}:${hex}`),
      onFail: (err) => {
        this.failure = err;
        this.resumeWaiter?.reject(err);
        this.result?.reject(err);
      },
    });
    this.worker.worker.postMessage({ op: 'start', id: this.id, alg: algorithm });
  }

  update(chunk: Uint8Array): void | Promise<void> {
    if (this.failure) throw this.failure;
    let off = 0;
    while (off < chunk.length) {
      this.batch ??= this.pool.batch();
      const n = Math.min(chunk.length - off, BATCH_BYTES - this.filled);
      new Uint8Array(this.batch, this.filled, n).set(chunk.subarray(off, off + n));
      this.filled += n;
      off += n;
      if (this.filled === BATCH_BYTES) this.send();
    }
    // Waiting is only ever for an acknowledgement of this digester's own batch, which will come.
    const tooMany = this.inFlight >= MAX_IN_FLIGHT || (this.inFlight > 0 && this.pool.inFlight() >= POOL_MAX_IN_FLIGHT);
    if (!tooMany) return undefined;
    return new Promise<void>((resolve, reject) => (this.resumeWaiter = { resolve, reject }));
  }

  digest(): Promise<string> {
    if (this.finished) throw new Error('digest() called twice');
    this.finished = true;
    if (this.failure) return Promise.reject(this.failure);
    if (this.filled > 0) this.send();
    return new Promise<string>((resolve, reject) => {
      this.result = { resolve, reject };
      this.worker.worker.postMessage({ op: 'digest', id: this.id });
    });
  }

  abort(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.batch) this.pool.recycle(this.batch);
    this.batch = undefined;
    if (!this.failure) this.worker.worker.postMessage({ op: 'abort', id: this.id });
    this.worker.remove(this.id);
  }

  private send(): void {
    const buf = this.batch!;
    this.worker.worker.postMessage({ op: 'update', id: this.id, buf, len: this.filled }, [buf]);
    this.batch = undefined;
    this.filled = 0;
    this.inFlight++;
    this.worker.inFlight++;
  }
}

let shared: DigestPool | undefined;

/** The process-wide pool (lazily started). */
export function digestPool(): DigestPool {
  return (shared ??= new DigestPool());
}

/** Blobs at least this large are hashed on a worker; smaller ones cost less than the messages. */
export const OFF_THREAD_MIN_BYTES = 4 * 1024 * 1024;

/**
 * The digester for a body of `expectedBytes`: on a worker when it is large and this process may use
 * more than one core; inline otherwise (on one core a worker only adds a copy and the messages).
 */
export function streamDigester(algorithm: DigestAlgorithm, expectedBytes: number, cores = availableParallelism()): StreamDigester {
  return expectedBytes >= OFF_THREAD_MIN_BYTES && cores >= 2 ? digestPool().digester(algorithm) : new Digester(algorithm);
}
