// The fuzz run: generates hostile requests from a seed, sends them over raw sockets with bounded
// concurrency, classifies what came back, checks liveness every K requests, and when the registry
// dies (and this run owns its process) starts it again and replays the suspects one at a time to name
// the request that killed it. Returns plain data (FuzzReport); src/report/fuzz-text.ts renders it.
import fc from 'fast-check';
import { exchange, isAlive, type Outcome } from './raw-http.js';
import { hostileRequest, type FuzzContext, type FuzzRequest } from './requests.js';
import { preview, pythonOneLiner, toWire, type WireTarget } from './wire.js';
import type { OwnedServer } from './target.js';

export interface FuzzOptions {
  url: string;
  requests: number;
  seed: number;
  concurrency: number;
  /** A plain GET /v2/ after every this many requests. */
  livenessEvery: number;
  /** How long a request may wait for its answer once sent, ms. */
  timeoutMs: number;
  ctx: FuzzContext;
  owned?: OwnedServer;
  /** Send only these request indexes (replaying a finding). */
  only?: number[];
  onProgress?: (done: number, total: number) => void;
}

export type FailureKind = '5xx' | 'unanswered' | 'death';

export interface FailureExample {
  index: number;
  request: string;
  reproduce: string;
  outcome: string;
}

export interface FailingShape {
  kind: FailureKind;
  shape: string;
  count: number;
  example: FailureExample;
}

export interface Death {
  /** Requests completed when it was noticed. */
  afterRequests: number;
  how: string;
  /** The request that kills it when replayed alone, if one does. */
  culprit?: { shape: string; example: FailureExample };
  suspects: number;
  serverLog?: string;
}

export interface FuzzReport {
  schema: 'regprobe.fuzz/v1';
  target: string;
  seed: number;
  requested: number;
  sent: number;
  durationMs: number;
  /** '2xx'...'5xx' for answers ('505 (allowed)': HTTP/2.0 and other versions refused as HTTP says); 'reset', 'closed', 'timeout', 'refused', 'abandoned' otherwise. */
  statusClasses: Record<string, number>;
  wellFormed: { sent: number; answered: number; unanswered: number };
  malformed: { sent: number; answered: number; unanswered: number };
  /** Requests lost while the registry was down (not counted as unanswered). */
  lostToDeaths: number;
  /** Requests not sent because the upload session they work on could not be opened. */
  skipped: number;
  livenessChecks: number;
  deaths: Death[];
  failures: FailingShape[];
  /** Set by the caller after the run. */
  image?: { intact: boolean; problems: string[] };
  outsideStorage?: { checked: boolean; changes: string[] };
  stoppedEarly?: string;
}

interface Sent {
  index: number;
  req: FuzzRequest;
  wire: WireTarget;
}

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
}

function outcomeText(o: Outcome): string {
  if (o.kind === 'answered') return `${o.statusLine ?? o.status}${o.bodyHead ? ` ${JSON.stringify(o.bodyHead.slice(0, 160))}` : ''}`;
  return `${o.kind}${o.error ? ` (${o.error})` : ''} after ${o.ms} ms`;
}

export function classOf(o: Outcome): string {
  return o.kind === 'answered' ? `${Math.floor((o.status ?? 0) / 100)}xx` : o.kind;
}

/** Generates request `index` of seed `seed`: the same request every time (fast-check's sample is prefix-stable). */
export function requestsFor(ctx: FuzzContext, seed: number, count: number): FuzzRequest[] {
  return fc.sample(hostileRequest(ctx), { seed, numRuns: count });
}

const only = <T>(xs: T[], idx: number[] | undefined) => (idx ? idx.filter((i) => i < xs.length).map((i) => ({ i, x: xs[i]! })) : xs.map((x, i) => ({ i, x })));

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const total = o.only ? Math.max(...o.only) + 1 : o.requests;
  const all = requestsFor(o.ctx, o.seed, total);
  const queue = only(all, o.only);
  let { host, port } = hostPort(o.url);
  const report: FuzzReport = {
    schema: 'regprobe.fuzz/v1',
    target: o.url,
    seed: o.seed,
    requested: queue.length,
    sent: 0,
    durationMs: 0,
    statusClasses: {},
    wellFormed: { sent: 0, answered: 0, unanswered: 0 },
    malformed: { sent: 0, answered: 0, unanswered: 0 },
    lostToDeaths: 0,
    skipped: 0,
    livenessChecks: 0,
    deaths: [],
    failures: [],
  };
  const failures = new Map<string, FailingShape>();
  const recent: Sent[] = [];
  const window = o.livenessEvery + 2 * o.concurrency;
  let next = 0;
  let done = 0;
  let stop: string | undefined;
  /** Set while a death is being handled: lanes wait for it before sending more. */
  let recovering: Promise<void> | undefined;

  const example = (s: Sent, out: string): FailureExample => {
    const oneLiner = pythonOneLiner(s.req, s.wire);
    const replay = `npm run fuzz -- ${o.owned ? '' : `${o.url} `}--seed ${o.seed} --only ${s.index}`;
    return { index: s.index, request: preview(s.req, s.wire), reproduce: oneLiner ? `${oneLiner}   # or: ${replay}` : replay, outcome: out };
  };
  const fail = (kind: FailureKind, shape: string, s: Sent, out: string) => {
    const key = `${kind} ${shape}`;
    const f = failures.get(key);
    if (f) f.count++;
    else failures.set(key, { kind, shape, count: 1, example: example(s, out) });
  };

  /** Opens an upload session for requests that work on one; undefined when the POST is not answered 202. */
  const openSession = async (repo: string): Promise<string | undefined> => {
    const head = `POST /v2/${repo}/blobs/uploads/ HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`;
    const r = await exchange(host, port, { parts: [{ bytes: Buffer.from(head), delayMs: 0 }], after: 'wait' }, o.timeoutMs);
    return r.kind === 'answered' && r.status === 202 ? r.headers?.['location'] : undefined;
  };

  const sendOne = async (index: number, req: FuzzRequest): Promise<{ s: Sent; out: Outcome } | undefined> => {
    const wire: WireTarget = { host, port };
    if (req.session) {
      const loc = await openSession(req.session);
      if (!loc) return undefined;
      wire.sessionLocation = loc;
      wire.sessionRepo = req.session;
    }
    const s: Sent = { index, req, wire };
    recent.push(s);
    if (recent.length > window) recent.shift();
    const out = await exchange(host, port, toWire(req, wire), o.timeoutMs);
    return { s, out };
  };

  const alive = async (): Promise<boolean> => {
    report.livenessChecks++;
    if (o.owned?.exited()) return false;
    for (let i = 0; i < 3; i++) {
      if (await isAlive(host, port, 5000)) return true;
      if (o.owned?.exited()) return false;
    }
    return false;
  };

  const onDeath = async (): Promise<void> => {
    const suspects = recent.splice(0);
    const how = o.owned?.exited() ? `process ended (${o.owned.exited()})` : 'stopped answering GET /v2/';
    const death: Death = { afterRequests: done, how, suspects: suspects.length };
    const log = o.owned?.stderrTail();
    if (log) death.serverLog = log;
    report.deaths.push(death);
    if (!o.owned || !o.owned.restart) {
      // Not ours to restart: give it 30 s to come back (a supervisor may restart it), else stop.
      const until = Date.now() + 30_000;
      while (Date.now() < until) if (await isAlive(host, port, 2000)) return;
      stop = `the registry stopped answering after ${done} requests and did not come back within 30 s`;
      return;
    }
    const restart = async () => ({ host, port } = hostPort(await o.owned!.restart()));
    try {
      await restart();
      // Replay the suspects alone, in order, checking liveness after each: the first that kills it is the culprit.
      for (const s of suspects) {
        const r = await sendOne(s.index, s.req);
        if (r && !(await alive())) {
          death.culprit = { shape: s.req.shape, example: example(r.s, outcomeText(r.out)) };
          fail('death', s.req.shape, r.s, `${o.owned.exited() ? `process ended (${o.owned.exited()})` : 'stopped answering'} after this request`);
          await restart();
          break;
        }
      }
    } catch (err) {
      stop = `could not restart the registry: ${(err as Error).message}`;
    }
    recent.length = 0;
  };

  const handleDeath = async () => {
    if (!recovering) {
      recovering = onDeath().finally(() => (recovering = undefined));
    }
    await recovering;
  };

  const lane = async () => {
    for (;;) {
      if (recovering) await recovering;
      if (stop) return;
      const k = next++;
      if (k >= queue.length) return;
      const { i, x: req } = queue[k]!;
      const r = await sendOne(i, req);
      if (!r) {
        // The session could not be opened: the registry may be gone.
        if (!(await alive())) {
          report.lostToDeaths++;
          await handleDeath();
        } else report.skipped++;
        continue;
      }
      const { s, out } = r;
      report.sent++;
      done++;
      const allowed = out.kind === 'answered' && !!req.allowed5xx?.includes(out.status ?? 0);
      const cls = allowed ? `${out.status} (allowed)` : classOf(out);
      const bucket = req.wellFormed ? report.wellFormed : report.malformed;
      bucket.sent++;
      if (out.kind === 'answered') bucket.answered++;
      if (out.kind === 'answered' && (out.status ?? 0) >= 500 && !allowed) fail('5xx', `${req.shape} → ${out.status}`, s, outcomeText(out));
      if (out.kind !== 'answered' && out.kind !== 'abandoned' && req.wellFormed) {
        // Unanswered: because of this request, or because the registry is down?
        if (recovering || !(await alive())) {
          report.lostToDeaths++;
          report.statusClasses['lost'] = (report.statusClasses['lost'] ?? 0) + 1;
          await handleDeath();
          continue;
        }
        bucket.unanswered++;
        fail('unanswered', `${req.shape} → ${out.kind}`, s, outcomeText(out));
      } else if (out.kind !== 'answered' && out.kind !== 'abandoned') bucket.unanswered++;
      report.statusClasses[cls] = (report.statusClasses[cls] ?? 0) + 1;
      o.onProgress?.(done, queue.length);
      if (done % o.livenessEvery === 0 && !(await alive())) await handleDeath();
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, o.concurrency) }, lane));
  if (!stop && !(await alive())) await handleDeath();
  report.failures = [...failures.values()].sort((a, b) => b.count - a.count);
  report.durationMs = Date.now() - started;
  if (stop) report.stoppedEarly = stop;
  return report;
}

/** The properties of a run: what failed, as lines (empty = all held). */
export function violations(r: FuzzReport): string[] {
  const v: string[] = [];
  const fivexx = r.failures.filter((f) => f.kind === '5xx').reduce((t, f) => t + f.count, 0);
  if (fivexx) v.push(`${fivexx} answers were 5xx`);
  if (r.wellFormed.unanswered) v.push(`${r.wellFormed.unanswered} well-formed requests were not answered`);
  if (r.deaths.length) v.push(`the registry died ${r.deaths.length} time(s)`);
  if (r.image && !r.image.intact) v.push(`the fixture image changed: ${r.image.problems.join('; ')}`);
  if (r.outsideStorage?.changes.length) v.push(`files changed outside storage: ${r.outsideStorage.changes.join(', ')}`);
  if (r.stoppedEarly) v.push(r.stoppedEarly);
  if (r.skipped) v.push(`${r.skipped} requests were not sent: no upload session could be opened for them`);
  return v;
}
