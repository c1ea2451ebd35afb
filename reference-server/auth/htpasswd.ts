// Users from an htpasswd file (bcrypt only, as distribution's htpasswd auth) and the password check.
// bcrypt is CPU by design, so checks run in a worker thread with bounded concurrency and a bounded
// queue: a burst of bad logins gets refused ("busy") instead of starving the server. A successful
// check is remembered for a few minutes (keyed by an HMAC, compared in constant time) so that Basic
// auth on every request does not pay bcrypt every time.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export class HtpasswdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HtpasswdError';
  }
}

/** user -> bcrypt hash. Lines `user:$2y$...`; blank lines and `#` comments skipped. */
export function parseHtpasswd(text: string, file = 'htpasswd'): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const l = line.trim();
    if (!l || l.startsWith('#')) return;
    const colon = l.indexOf(':');
    if (colon <= 0) throw new HtpasswdError(`${file}:${i + 1}: expected user:hash`);
    const user = l.slice(0, colon);
    const hash = l.slice(colon + 1);
    if (!/^\$2[aby]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
      throw new HtpasswdError(`${file}:${i + 1}: user ${JSON.stringify(user)} has no bcrypt hash (create it with htpasswd -B)`);
    }
    users.set(user, hash);
  });
  return users;
}

export async function loadHtpasswd(file: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new HtpasswdError(`--htpasswd ${file}: ${(err as NodeJS.ErrnoException).code ?? 'cannot be read'}`);
  }
  return parseHtpasswd(text, file);
}

export type CheckResult = 'ok' | 'bad' | 'busy';

export interface CheckerOptions {
  /** bcrypt comparisons at once (default 2). */
  concurrency?: number;
  /** Waiting comparisons beyond which new ones are refused as busy (default 128). */
  maxQueue?: number;
  /** How long a successful check is remembered, ms (default 5 min). */
  cacheTtlMs?: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptPath);
parentPort.on('message', (m) => {
  let ok = false;
  try { ok = bcrypt.compareSync(m.password, m.hash); } catch { ok = false; }
  parentPort.postMessage({ id: m.id, ok });
});
`;

interface Job {
  id: number;
  password: string;
  hash: string;
  resolve: (ok: boolean) => void;
}

interface Slot {
  worker: Worker;
  busy?: Job;
}

export class PasswordChecker {
  private readonly secret = randomBytes(32);
  private readonly cache = new Map<string, { mac: Buffer; user: string; until: number }>();
  private readonly queue: Job[] = [];
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  private readonly concurrency: number;
  private readonly maxQueue: number;
  private readonly ttl: number;
  /** Counters (tests, logs). */
  readonly stats = { bcrypt: 0, cacheHits: 0, busy: 0 };

  constructor(
    private readonly users: Map<string, string>,
    opts: CheckerOptions = {},
  ) {
    this.concurrency = Math.max(1, opts.concurrency ?? 2);
    this.maxQueue = opts.maxQueue ?? 128;
    this.ttl = opts.cacheTtlMs ?? 5 * 60_000;
  }

  get userCount(): number {
    return this.users.size;
  }

  async check(user: string, password: string): Promise<CheckResult> {
    if (this.closed) return 'busy';
    const mac = createHmac('sha256', this.secret).update(user).update('\0').update(password).digest();
    const key = mac.subarray(0, 16).toString('hex');
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now() && hit.user === user && timingSafeEqual(hit.mac, mac)) {
      this.stats.cacheHits++;
      return 'ok';
    }
    const known = this.users.get(user);
    // Unknown users cost a bcrypt too, against a real hash, so timing does not reveal who exists.
    const hash = known ?? this.users.values().next().value;
    if (hash === undefined) return 'bad';
    if (this.queue.length >= this.maxQueue) {
      this.stats.busy++;
      return 'busy';
    }
    const ok = await this.compare(password, hash);
    if (!ok || known === undefined) return 'bad';
    if (this.cache.size >= 4096) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { mac, user, until: Date.now() + this.ttl });
    return 'ok';
  }

  private compare(password: string, hash: string): Promise<boolean> {
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, password, hash, resolve });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.busy);
      if (!slot && this.slots.length < this.concurrency) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.busy = job;
      this.stats.bcrypt++;
      slot.worker.postMessage({ id: job.id, password: job.password, hash: job.hash });
    }
  }

  private spawn(): Slot {
    const bcryptPath = createRequire(import.meta.url).resolve('bcryptjs');
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptPath } });
    worker.unref();
    const slot: Slot = { worker };
    worker.on('message', (m: { id: number; ok: boolean }) => {
      const job = slot.busy;
      slot.busy = undefined;
      if (job && job.id === m.id) job.resolve(m.ok === true);
      this.pump();
    });
    const fail = () => {
      // A dead worker: its job is refused, and a new worker takes the next one.
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      slot.busy?.resolve(false);
      slot.busy = undefined;
      if (!this.closed) this.pump();
    };
    worker.on('error', fail);
    worker.on('exit', fail);
    this.slots.push(slot);
    return slot;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const j of this.queue.splice(0)) j.resolve(false);
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}
