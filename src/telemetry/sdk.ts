// The OpenTelemetry SDK and the OTLP/HTTP exporter, loaded on demand (dynamic import) only when
// tracing is on: a run without it never loads a module of the SDK. The exporter reads the standard
// OTEL_EXPORTER_OTLP_* variables itself (headers, timeout, compression); the sampler comes
// from OTEL_TRACES_SAMPLER, the service name from OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES.
import { context, propagation, trace } from '@opentelemetry/api';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-node';
import { VERSION } from '../version.js';
import { traceHttpClient, type HttpClientTracing } from './http-client-spans.js';
import type { TelemetrySettings } from './settings.js';

export interface ExportSummary {
  /** Spans the exporter accepted and the collector took. */
  exported: number;
  /** Spans that could not be delivered. */
  failed: number;
  /** Why the last failed export failed (no secrets: an error message of the exporter). */
  lastError?: string;
  /** The flush did not finish in time. */
  timedOut?: boolean;
}

export interface TelemetrySdk {
  settings: TelemetrySettings;
  http: HttpClientTracing;
  /** Ends open spans, flushes, stops the exporter; bounded in time. */
  shutdown(): Promise<ExportSummary>;
}

let active: TelemetrySdk | undefined;

/** The running SDK started by startTelemetry(), if any. */
export function activeTelemetry(): TelemetrySdk | undefined {
  return active;
}

export async function startTelemetry(settings: TelemetrySettings, options: { serviceName?: string; loadSampleRate?: number } = {}): Promise<TelemetrySdk> {
  if (active) return active;
  const [{ NodeTracerProvider, BatchSpanProcessor }, resources, exporterModule] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/resources'),
    settings.protocol === 'http/json' ? import('@opentelemetry/exporter-trace-otlp-http') : import('@opentelemetry/exporter-trace-otlp-proto'),
  ]);
  // The URL as settings resolved it; headers, timeout and compression come from the variables.
  const exporter = new CountingExporter(new exporterModule.OTLPTraceExporter({ url: settings.url }));
  // Only the environment detector: the process detector would put the command line (and with it a
  // --password) into every span's resource.
  const resource = resources
    .defaultResource()
    .merge(resources.resourceFromAttributes({ 'service.name': options.serviceName ?? 'regprobe', 'service.version': VERSION, 'process.runtime.name': 'nodejs', 'process.runtime.version': process.versions.node }))
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(exporter)] });
  provider.register();
  const http = traceHttpClient(options.loadSampleRate ?? 0);

  const timeoutMs = Number(process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT || process.env.OTEL_EXPORTER_OTLP_TIMEOUT) || 10_000;
  let done: Promise<ExportSummary> | undefined;
  const sdk: TelemetrySdk = {
    settings,
    http,
    shutdown: () =>
      (done ??= (async () => {
        http.endOpen();
        http.stop();
        let timer: NodeJS.Timeout | undefined;
        const timedOut = await Promise.race([
          provider.shutdown().then(() => false, () => false),
          new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs + 2_000).unref())),
        ]);
        clearTimeout(timer);
        // Unregistered, so that the process is as before (and a later start registers afresh).
        trace.disable();
        context.disable();
        propagation.disable();
        if (active === sdk) active = undefined;
        return { exported: exporter.exported, failed: exporter.failed, ...(exporter.lastError ? { lastError: exporter.lastError } : {}), ...(timedOut ? { timedOut } : {}) };
      })()),
  };
  active = sdk;
  return sdk;
}

/** Passes batches on and counts what arrived, so a run can say once that its traces went nowhere. */
class CountingExporter implements SpanExporter {
  exported = 0;
  failed = 0;
  lastError: string | undefined;
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: Parameters<SpanExporter['export']>[1]): void {
    this.inner.export(spans, (result) => {
      if (result.code === 0) this.exported += spans.length;
      else {
        this.failed += spans.length;
        this.lastError = result.error?.message ?? 'export failed';
      }
      done(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
