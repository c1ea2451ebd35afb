// Request and event logging of the reference server: human lines, JSON lines, or nothing.
export interface RequestLogEntry {
  method: string;
  url: string;
  status: number;
  durationMs: number;
  remote: string;
  /** false when the connection closed before the response was complete */
  completed: boolean;
}

export interface ServerLogger {
  request(entry: RequestLogEntry): void;
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogFormat = 'human' | 'json' | 'none';

export function makeLogger(format: LogFormat, stream: NodeJS.WritableStream = process.stderr): ServerLogger {
  if (format === 'none') return silentLogger;
  const write = (line: string) => void stream.write(line + '\n');
  if (format === 'json') {
    const emit = (level: string, msg: string, fields?: Record<string, unknown>) => {
      let line: string;
      try {
        line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
      } catch {
        // fields that cannot be serialized (cycles, BigInt) still leave a line, never an exception
        line = JSON.stringify({ time: new Date().toISOString(), level, msg, fields: 'unserializable' });
      }
      write(line);
    };
    return {
      request: (e) => emit('info', 'request', { ...e, durationMs: Math.round(e.durationMs * 1000) / 1000 }),
      info: (m, f) => emit('info', m, f),
      error: (m, f) => emit('error', m, f),
    };
  }
  const fmt = (f?: Record<string, unknown>) => (f && Object.keys(f).length ? ' ' + Object.entries(f).map(([k, v]) => `${k}=${typeof v === 'string' ? v : safeJson(v)}`).join(' ') : '');
  return {
    request: (e) => write(`${new Date().toISOString()} ${e.remote} "${e.method} ${e.url}" ${e.status} ${e.durationMs.toFixed(1)}ms${e.completed ? '' : ' (connection closed early)'}`),
    info: (m, f) => write(`${new Date().toISOString()} ${m}${fmt(f)}`),
    error: (m, f) => write(`${new Date().toISOString()} ERROR ${m}${fmt(f)}`),
  };
}

export const silentLogger: ServerLogger = { request() {}, info() {}, error() {} };

function safeJson(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return 'unserializable';
  }
}
