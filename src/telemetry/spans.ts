// Spans through @opentelemetry/api only: without a registered SDK every call here is the API's no-op
// (no allocation of note, nothing exported), so runners call these unconditionally.
import { context, createContextKey, SpanStatusCode, trace, type Attributes, type Span, type Tracer } from '@opentelemetry/api';
import { redact } from '../auth/redact.js';
import { VERSION } from '../version.js';

export type { Attributes, Span } from '@opentelemetry/api';

export const TRACER_NAME = 'regprobe';

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME, VERSION);
}

/**
 * Marks a load phase (a benchmark): inside it, HTTP exchanges get a span only when the per-request
 * sample rate picks them (src/telemetry/http-client-spans.ts), so tracing cannot load the load generator.
 */
export const LOAD_PHASE = createContextKey('regprobe.load-phase');

export interface SpanOptions {
  /** The span starts a load phase (see LOAD_PHASE). */
  load?: boolean;
}

/**
 * Runs `fn` inside a new active span; a throw is recorded (status ERROR + exception event) and
 * rethrown. The span ends when `fn` settles.
 */
export async function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>, options: SpanOptions = {}): Promise<T> {
  const parent = options.load ? context.active().setValue(LOAD_PHASE, true) : context.active();
  return tracer().startActiveSpan(name, { attributes }, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      recordError(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Status ERROR and an `exception` event; message and stack go through the secret redaction. */
export function recordError(span: Span, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  recordFailure(span, e.name, e.message, {
    ...(e.stack ? { 'exception.stacktrace': redact(e.stack) } : {}),
    ...(typeof code === 'string' ? { 'error.type': code } : {}),
  });
}

/** A failure known only by its kind and message (a failed case, a 5xx answer). */
export function recordFailure(span: Span, type: string, message: string, extra: Attributes = {}): void {
  const safe = redact(message);
  span.addEvent('exception', { 'exception.type': type, 'exception.message': safe, ...extra });
  span.setStatus({ code: SpanStatusCode.ERROR, message: safe });
  if (extra['error.type'] === undefined) span.setAttribute('error.type', type);
}
