// --otel and --otel-sample-rate, and the wrapper that runs a command under tracing: the SDK is
// started (lazily imported) only when --otel or an OTEL_EXPORTER_OTLP_* endpoint asks for it, the
// command runs inside a root span, and spans are flushed before the command returns.
import { SpanStatusCode } from '@opentelemetry/api';
import { startTelemetry } from '../telemetry/sdk.js';
import { TelemetryConfigError, telemetrySettings } from '../telemetry/settings.js';
import { inSpan } from '../telemetry/spans.js';
import { result } from './context.js';
import { CliError } from './exit.js';

export const OTEL_OPTIONS = {
  otel: {
    type: 'boolean',
    default: false,
    describe: 'export OpenTelemetry traces over OTLP/HTTP (on by itself when OTEL_EXPORTER_OTLP_ENDPOINT or ..._TRACES_ENDPOINT is set)',
  },
} as const;

export const BENCH_OTEL_OPTIONS = {
  ...OTEL_OPTIONS,
  'otel-sample-rate': {
    type: 'number',
    default: 0,
    requiresArg: true,
    describe: 'with tracing on: the fraction (0..1) of benchmark requests that get a span of their own; 0 = phases and steps only',
  },
} as const;

export interface OtelArgs {
  otel?: boolean;
  otelSampleRate?: number;
}

export interface TelemetryRunOptions {
  /** Wrap the command in a `regprobe <command>` span (not for `serve`: its requests are the traces). */
  rootSpan?: boolean;
  env?: NodeJS.ProcessEnv;
  stderr?: NodeJS.WritableStream;
}

/** Runs `fn` with tracing when asked for; without it, calls `fn` and loads nothing. */
export async function withTelemetry<T>(argv: object, command: string, fn: () => Promise<T>, o: TelemetryRunOptions = {}): Promise<T> {
  const args = argv as OtelArgs;
  const rate = args.otelSampleRate ?? 0;
  if (!(Number.isFinite(rate) && rate >= 0 && rate <= 1)) throw new CliError(`--otel-sample-rate must be a fraction from 0 to 1, got ${String(rate)}`);
  let settings;
  try {
    settings = telemetrySettings(args.otel === true, o.env ?? process.env);
  } catch (err) {
    if (err instanceof TelemetryConfigError) throw new CliError(err.message);
    throw err;
  }
  if (!settings) return fn();

  const sdk = await startTelemetry(settings, { loadSampleRate: rate });
  try {
    if (o.rootSpan === false) return await fn();
    return await inSpan(`regprobe ${command}`, { 'regprobe.command': command }, async (span) => {
      const value = await fn();
      span.setAttribute('regprobe.exit_code', result.exitCode);
      if (result.exitCode !== 0) span.setStatus({ code: SpanStatusCode.ERROR, message: `exit code ${result.exitCode}` });
      return value;
    });
  } finally {
    const summary = await sdk.shutdown();
    // Traces are a by-product: a collector that is down costs one warning, never the run's result.
    if (summary.failed > 0 || summary.timedOut) {
      const why = summary.timedOut ? 'the flush timed out' : summary.lastError ?? 'export failed';
      (o.stderr ?? process.stderr).write(`regprobe: warning: ${summary.failed > 0 ? `${summary.failed} spans` : 'spans'} could not be exported to ${settings.endpoint} (${why})\n`);
    }
  }
}
