// The load path's HTTP/1.1 client: keep-alive connections over net/tls sockets for the fixed request
// shapes of the read workloads (manifest GET/HEAD, tag list, ping, blob GET). A request is a Buffer
// built once at setup and written as is; the response head is parsed straight from the socket's
// chunks. It exists because undici's general machinery (dispatch, handler objects, header arrays,
// body streams, promise layers) cost regprobe bench ~50 µs of CPU per small request, several times
// the socket work itself: the load generator, not the registry, was being measured.
// It speaks only what it sends: GET and HEAD without a body, Content-Length, chunked or
// close-delimited responses, one request per connection at a time (no pipelining).
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { toTransportError, TransportError } from './errors.js';

/** Starts a request at its slot (the --max-rps pacer). */
export interface StartPacer {
  schedule(start: () => void): void;
}

export interface LeanHttpOptions {
  /** http: or https: origin (a base path is the caller's: paths given here are absolute). */
  origin: URL;
  insecure?: boolean;
  ca?: string | Buffer;
  /** Headers and each body gap, ms. */
  timeoutMs: number;
  userAgent: string;
  pacer?: StartPacer;
}

/** A request built once: its bytes, and what it needs to be described in errors. */
export interface PreparedRequest {
  readonly method: 'GET' | 'HEAD';
  /** Path and query as sent. */
  readonly target: string;
  /** Absolute URL, for messages. */
  readonly url: string;
  readonly bytes: Buffer;
}

/** A response: status, head and body; header values are looked up when asked for (most never are). */
export class LeanResponse {
  /** Body bytes received. */
  size = 0;
  /** The body, when it was collected (no sink, or a status the sink was not for). */
  body: Buffer | undefined = undefined;
  private lower: string | undefined;

  constructor(
    readonly status: number,
    /** The response head as received (status line and header lines, no final CRLF). */
    readonly head: string,
    /** Time from the request's write to its complete response head, ms. */
    readonly ttfbMs: number,
  ) {}

  /** A header's value (name in lower case); repeated headers joined with ", ". */
  header(name: string): string | undefined {
    const lower = (this.lower ??= this.head.toLowerCase());
    const key = `\r\n${name}:`;
    let out: string | undefined;
    // Lower-casing keeps every offset (the head is latin1), so values come from the original text.
    for (let at = lower.indexOf(key); at >= 0; at = lower.indexOf(key, at + key.length)) {
      const start = at + key.length;
      const end = lower.indexOf('\r\n', start);
      const value = this.head.slice(start, end < 0 ? undefined : end).trim();
      out = out === undefined ? value : `${out}, ${value}`;
    }
    return out;
  }
}

/**
 * Receives the body of a 2xx answer chunk by chunk; a returned promise pauses reading until it
 * settles. A chunk is valid only during the call (plain-TCP reads reuse one buffer): copy to keep it.
 */
export type BodySink = (chunk: Buffer) => void | Promise<void>;
/** Called with a 2xx answer's head (its Content-Length known): the sink for its body. */
export type SinkFactory = (res: LeanResponse) => BodySink;

const CRLF2 = Buffer.from('\r\n\r\n');
/** Bytes per socket read on plain TCP (one buffer per pool, reused: see BodySink). */
const READ_BUFFER_BYTES = 256 * 1024;
/** How often busy connections are checked for silence (the timeout's resolution), ms. */
const TIMEOUT_TICK_MS = 250;
/** Bodies collected for a caller: larger ones fail (a manifest or tag list is far smaller). */
const COLLECT_LIMIT = 64 * 1024 * 1024;
/** Of a failed request's body, only this much is kept (for the error message). */
const ERROR_BODY_LIMIT = 64 * 1024;

const enum State {
  Head,
  Length,
  Chunked,
  UntilClose,
}

interface Exchange {
  req: PreparedRequest;
  sinkFor: SinkFactory | undefined;
  sink: BodySink | undefined;
  started: number;
  resolve: (r: LeanResponse) => void;
  reject: (e: unknown) => void;
  /** Bytes of this response seen: a reused connection that dies before any may be retried. */
  seen: number;
  retried: boolean;
}

class Connection {
  readonly socket: Socket;
  /** Requests completed on this connection (a stale keep-alive connection is retried only when > 0). */
  served = 0;
  ex: Exchange | undefined;
  private state = State.Head;
  private head: Buffer | undefined;
  private remaining = 0;
  private res: LeanResponse | undefined;
  private chunks: Buffer[] = [];
  private collected = 0;
  private collect = false;
  private keepAlive = true;
  /** Chunked decoding: bytes left of the current chunk; -1 = reading a size line, -2 = its CRLF, -3 = trailers. */
  private chunkLeft = -1;
  private line = '';
  private dead = false;
  /** Chunks handed to onData live in the shared read buffer: what is kept must be copied. */
  private readonly transient: boolean;
  /** Data arrived since the last timeout tick; ticks of silence while busy. */
  active = false;
  silentTicks = 0;

  constructor(
    private readonly pool: LeanHttp,
    opts: LeanHttpOptions,
    readBuffer: Buffer,
  ) {
    const port = Number(opts.origin.port || (opts.origin.protocol === 'https:' ? 443 : 80));
    const host = opts.origin.hostname.replace(/^\[|\]$/g, '');
    this.transient = opts.origin.protocol !== 'https:';
    // Plain TCP reads straight into a reused buffer (net's `onread`): no Buffer and no stream
    // event per read. TLS reads through the stream ('data' events).
    this.socket =
      opts.origin.protocol === 'https:'
        ? tlsConnect({ host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, rejectUnauthorized: !opts.insecure, ...(opts.ca ? { ca: opts.ca } : {}), ALPNProtocols: ['http/1.1'] })
        : netConnect({ host, port, onread: { buffer: readBuffer, callback: (n: number, buf: Uint8Array) => (this.onData((buf as Buffer).subarray(0, n)), true) } });
    this.socket.setNoDelay(true);
    if (!this.transient) this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(undefined));
  }

  /** Called by the pool every tick while this connection is busy. */
  tick(timeoutMs: number): void {
    if (this.active) {
      this.active = false;
      this.silentTicks = 0;
      return;
    }
    if (++this.silentTicks * TIMEOUT_TICK_MS >= timeoutMs) {
      this.fail(new TransportError('TIMEOUT', this.ex?.req.method ?? 'GET', this.ex?.req.url ?? '', `no data for ${timeoutMs} ms`));
    }
  }

  start(ex: Exchange): void {
    this.ex = ex;
    this.state = State.Head;
    this.res = undefined;
    this.active = true;
    this.silentTicks = 0;
    ex.started = performance.now();
    this.socket.write(ex.req.bytes);
  }

  private onData(d: Buffer): void {
    const ex = this.ex;
    if (!ex) {
      // Bytes nobody asked for: the connection cannot be trusted any more.
      this.destroy();
      return;
    }
    this.active = true;
    ex.seen += d.length;
    let buf = d;
    while (buf.length) {
      if (this.state === State.Head) {
        if (this.head) buf = Buffer.concat([this.head, buf]);
        const end = buf.indexOf(CRLF2);
        if (end < 0) {
          if (buf.length > 256 * 1024) return this.protocolError('response head larger than 256 KiB');
          // Kept across reads: a copy (Buffer.concat above copied already when there was a head).
          this.head = this.transient ? Buffer.from(buf) : buf;
          return;
        }
        this.head = undefined;
        if (!this.parseHead(buf.toString('latin1', 0, end), ex)) return;
        buf = buf.subarray(end + 4);
        if (this.state === State.Head) continue; // a 1xx answer: the real one follows
        if (this.res && this.remaining === 0 && this.state === State.Length) return this.complete(buf.length);
        continue;
      }
      if (this.state === State.Length) {
        if (buf.length < this.remaining) {
          this.remaining -= buf.length;
          this.body(buf);
          return;
        }
        const rest = buf.length - this.remaining;
        if (this.remaining) this.body(buf.subarray(0, this.remaining));
        this.remaining = 0;
        return this.complete(rest);
      }
      if (this.state === State.UntilClose) {
        this.body(buf);
        return;
      }
      // Chunked.
      buf = this.chunked(buf);
      if (this.dead || !this.res) return;
      if (this.chunkLeft === -4) return this.complete(buf.length);
    }
  }

  /** Consumes chunked framing from `buf`; returns what is left after the last chunk's trailers. */
  private chunked(buf: Buffer): Buffer {
    let i = 0;
    while (i < buf.length) {
      if (this.chunkLeft > 0) {
        const n = Math.min(this.chunkLeft, buf.length - i);
        this.body(buf.subarray(i, i + n));
        this.chunkLeft -= n;
        i += n;
        if (this.chunkLeft === 0) this.chunkLeft = -2;
        continue;
      }
      const nl = buf.indexOf(10, i);
      if (nl < 0) {
        this.line += buf.toString('latin1', i);
        if (this.line.length > 4096) this.protocolError('chunk line longer than 4 KiB');
        return buf.subarray(buf.length);
      }
      const line = (this.line + buf.toString('latin1', i, nl)).replace(/\r$/, '');
      this.line = '';
      i = nl + 1;
      if (this.chunkLeft === -2) {
        this.chunkLeft = -1;
        continue;
      }
      if (this.chunkLeft === -3) {
        // Trailer lines until an empty one.
        if (line === '') {
          this.chunkLeft = -4;
          return buf.subarray(i);
        }
        continue;
      }
      const size = Number.parseInt(line, 16);
      if (!Number.isFinite(size) || size < 0 || !/^[0-9a-fA-F]+/.test(line)) {
        this.protocolError(`invalid chunk size line ${JSON.stringify(line.slice(0, 40))}`);
        return buf.subarray(buf.length);
      }
      this.chunkLeft = size === 0 ? -3 : size;
    }
    return buf.subarray(buf.length);
  }

  /** Parses a response head; false when the connection was failed. */
  private parseHead(head: string, ex: Exchange): boolean {
    if (!head.startsWith('HTTP/1.') || head.charCodeAt(8) !== 32) return this.protocolError(`not an HTTP/1.x status line: ${JSON.stringify(head.slice(0, 40))}`), false;
    const status = (head.charCodeAt(9) - 48) * 100 + (head.charCodeAt(10) - 48) * 10 + (head.charCodeAt(11) - 48);
    if (!(status >= 100 && status <= 599)) return this.protocolError(`invalid status in ${JSON.stringify(head.slice(0, 40))}`), false;
    if (status < 200) return true; // 1xx: informational; the final answer follows on this connection
    const res = new LeanResponse(status, head, performance.now() - ex.started);
    const http10 = head.charCodeAt(7) === 48;
    const conn = res.header('connection')?.toLowerCase();
    this.keepAlive = http10 ? conn === 'keep-alive' : conn !== 'close';
    this.res = res;
    ex.sink = ex.sinkFor && status >= 200 && status < 300 ? ex.sinkFor(res) : undefined;
    this.collect = !ex.sink;
    this.chunks = [];
    this.collected = 0;
    const te = res.header('transfer-encoding');
    const cl = res.header('content-length');
    if (ex.req.method === 'HEAD' || status === 204 || status === 304) {
      this.state = State.Length;
      this.remaining = 0;
    } else if (te !== undefined && /chunked\s*$/i.test(te)) {
      this.state = State.Chunked;
      this.chunkLeft = -1;
      this.line = '';
    } else if (cl !== undefined) {
      const n = Number(cl);
      if (!Number.isSafeInteger(n) || n < 0 || !/^\d+$/.test(cl)) return this.protocolError(`invalid Content-Length ${JSON.stringify(cl)}`), false;
      this.state = State.Length;
      this.remaining = n;
    } else {
      this.state = State.UntilClose;
      this.keepAlive = false;
    }
    return true;
  }

  private body(b: Buffer): void {
    const res = this.res!;
    res.size += b.length;
    if (!this.collect) {
      const wait = this.ex!.sink!(b);
      if (wait) {
        this.socket.pause();
        wait.then(
          () => {
            if (!this.dead) this.socket.resume();
          },
          (err: unknown) => this.fail(err, true, true),
        );
      }
      return;
    }
    const limit = res.status >= 200 && res.status < 300 ? COLLECT_LIMIT : ERROR_BODY_LIMIT;
    if (this.collected + b.length > limit) {
      if (limit === ERROR_BODY_LIMIT) {
        const keep = limit - this.collected;
        if (keep > 0) this.chunks.push(Buffer.from(b.subarray(0, keep)));
        this.collected = limit;
        return;
      }
      this.fail(new TransportError('PROTOCOL', this.ex!.req.method, this.ex!.req.url, `response body larger than ${limit} bytes`), true);
      return;
    }
    this.chunks.push(this.transient ? Buffer.from(b) : b);
    this.collected += b.length;
  }

  private complete(extra: number): void {
    const ex = this.ex!;
    const res = this.res!;
    if (this.collect) res.body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.collected);
    this.chunks = [];
    this.ex = undefined;
    this.res = undefined;
    this.state = State.Head;
    this.served++;
    // Bytes after a complete answer to the one request sent: not trustworthy, do not reuse.
    if (this.keepAlive && extra === 0 && !this.dead) this.pool.release(this);
    else this.destroy();
    ex.resolve(res);
  }

  private onEnd(): void {
    if (this.ex && this.res && this.state === State.UntilClose) {
      this.keepAlive = false;
      this.complete(0);
      return;
    }
    this.fail(undefined);
  }

  private protocolError(detail: string): void {
    this.fail(new TransportError('PROTOCOL', this.ex?.req.method ?? 'GET', this.ex?.req.url ?? '', detail), true);
  }

  /** The connection is finished; its exchange (if any) fails or, when it may, is retried once. */
  fail(err: unknown, final = false, raw = false): void {
    this.destroy();
    const ex = this.ex;
    this.ex = undefined;
    if (!ex) return;
    // A keep-alive connection the registry closed while idle: the request never reached it.
    if (!final && this.served > 0 && ex.seen === 0 && !ex.retried && !(err instanceof TransportError && err.code === 'TIMEOUT')) {
      ex.retried = true;
      this.pool.dispatch(ex);
      return;
    }
    // A sink's own error (a digest mismatch) is the caller's, not the connection's: passed as is.
    ex.reject(raw || err instanceof TransportError ? err : toTransportError(err ?? Object.assign(new Error('the connection closed before a complete answer'), { code: 'ECONNRESET' }), ex.req.method, ex.req.url));
  }

  destroy(): void {
    if (this.dead) return;
    this.dead = true;
    this.pool.forget(this);
    this.socket.destroy();
  }
}

export class LeanHttp {
  private readonly idle: Connection[] = [];
  private readonly all = new Set<Connection>();
  private readonly hostHeader: string;
  private readonly origin: string;
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private closed = false;
  /** One timer for all connections: a socket timeout would re-arm a timer on every read and write. */
  private ticker: NodeJS.Timeout | undefined;

  constructor(private readonly opts: LeanHttpOptions) {
    if (opts.origin.protocol !== 'http:' && opts.origin.protocol !== 'https:') throw new TypeError(`lean HTTP: http:// or https:// only, got ${opts.origin.protocol}`);
    this.hostHeader = opts.origin.host;
    this.origin = opts.origin.origin;
  }

  /** Builds a request once; `target` is an absolute path with its query (`/v2/r/manifests/t`). */
  prepare(method: 'GET' | 'HEAD', target: string, headers: Record<string, string> = {}): PreparedRequest {
    if (!target.startsWith('/') || /[\s\r\n]/.test(target)) throw new TypeError(`lean HTTP: bad request target ${JSON.stringify(target)}`);
    let text = `${method} ${target} HTTP/1.1\r\nhost: ${this.hostHeader}\r\nuser-agent: ${this.opts.userAgent}\r\n`;
    for (const [k, v] of Object.entries(headers)) {
      if (/[\r\n]/.test(k + v)) throw new TypeError(`lean HTTP: header ${k} holds a line break`);
      text += `${k}: ${v}\r\n`;
    }
    return { method, target, url: this.origin + target, bytes: Buffer.from(`${text}\r\n`, 'latin1') };
  }

  /** Sends a prepared request; resolves with the complete response (body collected unless sunk). */
  send(req: PreparedRequest, sinkFor?: SinkFactory): Promise<LeanResponse> {
    return new Promise<LeanResponse>((resolve, reject) => {
      const ex: Exchange = { req, sinkFor, sink: undefined, started: 0, resolve, reject, seen: 0, retried: false };
      if (this.opts.pacer) this.opts.pacer.schedule(() => this.dispatch(ex));
      else this.dispatch(ex);
    });
  }

  /** @internal */
  dispatch(ex: Exchange): void {
    if (this.closed) {
      ex.reject(new TransportError('ABORTED', ex.req.method, ex.req.url, 'the client was closed'));
      return;
    }
    let c = this.idle.pop();
    if (!c) {
      c = new Connection(this, this.opts, this.readBuffer);
      this.all.add(c);
      if (!this.ticker) {
        this.ticker = setInterval(() => {
          for (const conn of this.all) if (conn.ex) conn.tick(this.opts.timeoutMs);
        }, TIMEOUT_TICK_MS);
        this.ticker.unref();
      }
    }
    c.start(ex);
  }

  /** @internal */
  release(c: Connection): void {
    if (this.closed) c.destroy();
    else this.idle.push(c);
  }

  /** @internal */
  forget(c: Connection): void {
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** Connections open now (idle and busy). */
  get connections(): number {
    return this.all.size;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.ticker);
    for (const c of [...this.all]) c.fail(new TransportError('ABORTED', 'GET', this.origin, 'the client was closed'), true);
  }
}
