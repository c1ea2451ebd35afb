// Connection-level defences of the reference server, below the router: requests Node's parser
// refuses (clientError), CONNECT, time limits, and a bound on open connections that idle or
// trickling clients cannot use to keep everyone else out.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ServerLogger } from '../logger.js';
import { LINGER_BYTES, LINGER_MS } from './context.js';

/** Open connections at most; at the limit, the longest-idle one makes room for a new one. */
export const DEFAULT_MAX_CONNECTIONS = 1024;
/** From a request's first byte (from connecting, for the first one) to the end of its headers. */
export const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;

export interface ConnectionGuardOptions {
  maxConnections: number;
  headersTimeoutMs: number;
  /** No byte either way for this long closes a connection (a body upload included). */
  idleTimeoutMs: number;
  logger: ServerLogger;
}

interface Tracked {
  /** Requests being answered on it; 0 = idle (keep-alive, still sending headers, or TLS handshake). */
  busy: number;
}

export function guardConnections(server: Server, o: ConnectionGuardOptions): void {
  // No whole-request deadline: a multi-GiB upload may take long; only idleness ends it. A request
  // without a body is whole when its headers are, so headersTimeout bounds it.
  server.requestTimeout = 0;
  server.headersTimeout = o.headersTimeoutMs;
  // Node checks the headers deadline on this period (default 30 s, which would triple a short one).
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = Math.max(100, Math.min(1000, Math.floor(o.headersTimeoutMs / 4)));
  server.setTimeout(o.idleTimeoutMs, (socket: Socket) => socket.destroy());

  // Insertion order = order in which connections last became idle: the first idle one is the oldest.
  const open = new Map<Socket, Tracked>();
  const rawOf = (s: Socket): Socket => (s as Socket & { _parent?: Socket })._parent ?? s;
  const isTls = typeof (server as Server & { addContext?: unknown }).addContext === 'function';
  const handshakes = new WeakMap<Socket, NodeJS.Timeout>();
  if (isTls) server.on('secureConnection', (s: Socket) => clearTimeout(handshakes.get(rawOf(s))));

  server.on('connection', (socket: Socket) => {
    if (open.size >= o.maxConnections) {
      let victim: Socket | undefined;
      for (const [s, t] of open) {
        if (t.busy === 0) {
          victim = s;
          break;
        }
      }
      if (victim) {
        open.delete(victim);
        victim.destroy();
      } else {
        // Every slot is answering a request: this one has to wait for a retry.
        socket.destroy();
        return;
      }
    }
    open.set(socket, { busy: 0 });
    socket.once('close', () => open.delete(socket));
    // Over TLS, Node's HTTP deadlines start after the handshake (whose own limit is 120 s): the
    // handshake gets the headers deadline too.
    if (isTls) {
      const timer = setTimeout(() => socket.destroy(), o.headersTimeoutMs);
      handshakes.set(socket, timer);
      socket.once('close', () => clearTimeout(timer));
    }
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const raw = rawOf(req.socket);
    const t = open.get(raw);
    if (!t) return;
    t.busy++;
    res.once('close', () => {
      t.busy--;
      if (t.busy === 0 && open.has(raw)) {
        open.delete(raw);
        open.set(raw, t);
      }
    });
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    try {
      answerClientError(err, socket);
    } catch (e) {
      o.logger.error('internal error answering malformed HTTP', { error: e instanceof Error ? e.message : String(e) });
      socket.destroy();
    }
  });

  // CONNECT (any target form) asks for a tunnel; a registry is not a proxy. Without this listener
  // Node closes the connection with no answer at all.
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    try {
      if (answered.has(socket)) return;
      answered.add(socket);
      socket.end(rawAnswer(405, 'Method Not Allowed', 'method CONNECT is not allowed: this is a registry, not a proxy', { Allow: 'GET, HEAD, PUT, POST, PATCH, DELETE' }));
      lingerRaw(socket);
    } catch {
      socket.destroy();
    }
  });
}

const answered = new WeakSet<Socket>();

function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  // Node may report more parse errors for the bytes that follow the first one: one answer per connection.
  if (answered.has(socket)) return;
  // Unparseable HTTP: answer in the spec's error shape when the socket still takes it.
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  // Node's parser refuses methods it does not know: that is still "method not allowed" to a client.
  const [status, reason] =
    err.code === 'HPE_INVALID_METHOD' ? [405, 'Method Not Allowed'] :
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] :
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : [400, 'Bad Request'];
  const message = status === 405 ? 'unknown HTTP method' : `malformed HTTP request (${err.code ?? 'parse error'})`;
  const answer = () => {
    if (!socket.writable) return socket.destroy();
    answered.add(socket);
    socket.end(rawAnswer(status, reason, message));
    // What the client is still sending (a 1.2 MB header, a body) is read and dropped for a while,
    // or closing with unread input would reset the connection and lose this answer.
    if (status !== 408) lingerRaw(socket);
  };
  // The bad bytes may follow a complete request still being answered on this connection (a body
  // longer than its Content-Length): that answer goes out first. A request whose own body broke
  // (connection ended mid-body) is abandoned at once. (_httpMessage: Node's in-flight response.)
  const pending = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (pending && !pending.writableFinished && pending.req.complete) pending.once('close', answer);
  else answer();
}

function rawAnswer(status: number, reason: string, message: string, headers: Record<string, string> = {}): string {
  const body = JSON.stringify({ errors: [{ code: 'UNSUPPORTED', message }] });
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return (
    `HTTP/1.1 ${status} ${reason}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Docker-Distribution-API-Version: registry/2.0\r\n${extra}Connection: close\r\n\r\n${body}`
  );
}

/**
 * After an answer on a connection Node no longer parses: keep reading (and dropping) what arrives
 * for up to LINGER_MS or LINGER_BYTES, so the client is not reset before it reads the answer; the
 * connection closes when the client closes its side, or at either bound.
 */
function lingerRaw(socket: Socket): void {
  if (socket.destroyed) return;
  const seen = socket.bytesRead;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  const poll = setInterval(() => {
    // The parser may own the socket's reads (no 'data' events): bytesRead still counts them.
    if (socket.bytesRead - seen > LINGER_BYTES) socket.destroy();
  }, 100);
  const done = () => {
    clearTimeout(timer);
    clearInterval(poll);
  };
  socket.once('close', done);
  socket.once('end', () => socket.destroy());
  socket.on('data', () => undefined);
  socket.resume();
}
