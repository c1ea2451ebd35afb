// Raw HTTP/1.1 over node:net for the fuzzer: undici (the product client, src/client/) refuses to send
// malformed requests, and the point here is to send exactly the bytes we mean, paced as we mean, and
// to see exactly what comes back (an answer, a reset, a silent close, nothing). Every exchange is
// bounded in time. A test tool, not a registry client.
import { connect, type Socket } from 'node:net';

/** What to write, when, and how the client ends its side. */
export interface WirePlan {
  /** Written in order; `delayMs` is waited before writing that part. */
  parts: Array<{ bytes: Buffer; delayMs: number }>;
  /**
   * After the last part: 'wait' keeps the connection open until an answer or the deadline;
   * 'half-close' sends FIN (the server sees the body end early); 'destroy' resets the connection.
   */
  after: 'wait' | 'half-close' | 'destroy';
  /** Before 'half-close'/'destroy': how long to hold the connection open, waiting for an answer. */
  holdMs?: number;
}

export type OutcomeKind = 'answered' | 'reset' | 'closed' | 'timeout' | 'refused' | 'abandoned';

export interface Outcome {
  kind: OutcomeKind;
  status?: number;
  statusLine?: string;
  /** Lower-cased names; the last value wins. */
  headers?: Record<string, string>;
  /** Up to 512 bytes of the body that arrived with or soon after the headers. */
  bodyHead?: string;
  ms: number;
  error?: string;
}

const MAX_HEAD = 256 * 1024;

/** Parses one response head from `buf`; skips 1xx interim answers. Undefined until a final head is complete. */
export function parseResponseHead(buf: Buffer): { status: number; statusLine: string; headers: Record<string, string>; rest: Buffer } | undefined {
  let off = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', off);
    if (end < 0) return undefined;
    const lines = buf.subarray(off, end).toString('latin1').split('\r\n');
    const statusLine = lines[0] ?? '';
    const m = /^HTTP\/\d\.\d (\d{3})/.exec(statusLine);
    const status = m ? Number(m[1]) : 0;
    off = end + 4;
    if (status >= 100 && status < 200 && status !== 101) continue;
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    return { status, statusLine, headers, rest: buf.subarray(off) };
  }
}

/**
 * One request on a fresh connection. Resolves (never rejects) with what came back: 'answered' as soon
 * as a final response head is in (plus what body arrived within a short grace), otherwise how the
 * connection ended. Writing stops once an answer is in, as a client would.
 */
export function exchange(host: string, port: number, plan: WirePlan, timeoutMs: number): Promise<Outcome> {
  const started = Date.now();
  return new Promise<Outcome>((resolve) => {
    let socket: Socket;
    let buf = Buffer.alloc(0);
    let settled = false;
    let writing = true;
    const timers: NodeJS.Timeout[] = [];
    const plannedMs = plan.parts.reduce((s, p) => s + p.delayMs, 0) + (plan.holdMs ?? 0);
    const finish = (o: Omit<Outcome, 'ms'>) => {
      if (settled) return;
      settled = true;
      writing = false;
      for (const t of timers) clearTimeout(t);
      socket.destroy();
      resolve({ ...o, ms: Date.now() - started });
    };
    let headSeen = false;
    const answered = (): boolean => {
      const head = parseResponseHead(buf);
      if (!head) return false;
      writing = false;
      const grab = () => {
        const h = parseResponseHead(buf) ?? head;
        finish({ kind: 'answered', status: h.status, statusLine: h.statusLine, headers: h.headers, bodyHead: h.rest.subarray(0, 512).toString('latin1') });
      };
      // A little of the body, for the example printed with a failure; never more than 200 ms.
      const len = Number(head.headers['content-length'] ?? NaN);
      if (head.rest.length >= 512 || head.rest.length >= len) grab();
      else if (!headSeen) {
        headSeen = true;
        timers.push(setTimeout(grab, 200));
        socket.once('close', grab);
      }
      return true;
    };
    timers.push(setTimeout(() => finish({ kind: 'timeout' }), plannedMs + timeoutMs));
    socket = connect({ host, port });
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => {
      if (buf.length < MAX_HEAD) buf = Buffer.concat([buf, d]);
      if (!settled) answered();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (settled || answered()) return;
      const code = err.code ?? err.message;
      if (code === 'ECONNREFUSED') finish({ kind: 'refused', error: code });
      else if (code === 'ECONNRESET' || code === 'EPIPE') finish({ kind: 'reset', error: code });
      else finish({ kind: 'closed', error: code });
    });
    socket.on('close', () => {
      if (settled || answered()) return;
      finish({ kind: 'closed', error: buf.length ? `closed after ${buf.length} bytes that are not an HTTP answer` : 'closed without an answer' });
    });
    socket.once('connect', () => {
      void (async () => {
        for (const p of plan.parts) {
          if (p.delayMs > 0) await new Promise<void>((r) => timers.push(setTimeout(r, p.delayMs)));
          if (!writing || settled) return;
          // Back-pressure: big bodies are written as the server reads them.
          if (!socket.write(p.bytes)) await new Promise<void>((r) => { socket.once('drain', r); socket.once('close', r); });
        }
        if (!writing || settled) return;
        if (plan.after === 'wait') return;
        if (plan.holdMs) await new Promise<void>((r) => timers.push(setTimeout(r, plan.holdMs)));
        if (settled) return;
        if (plan.after === 'half-close') socket.end();
        else finish({ kind: 'abandoned' });
      })();
    });
  });
}

/** A plain `GET /v2/` on a fresh connection: answered at all (any status) means alive. */
export async function isAlive(host: string, port: number, timeoutMs = 5000): Promise<boolean> {
  const req = Buffer.from(`GET /v2/ HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
  const o = await exchange(host, port, { parts: [{ bytes: req, delayMs: 0 }], after: 'wait' }, timeoutMs);
  return o.kind === 'answered';
}
