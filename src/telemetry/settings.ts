// When tracing is on, and how spans leave the process. The standard OpenTelemetry variables decide
// (https://opentelemetry.io/docs/specs/otel/protocol/exporter/): an OTLP endpoint in the environment
// turns tracing on, as does --otel (then the exporter's default endpoint, localhost:4318, unless one is
// set). OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none turn it off whatever else is set.

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface TelemetrySettings {
  protocol: OtlpProtocol;
  /** Where spans go (the OTLP traces URL), as given. */
  url: string;
  /** The same URL for messages: without user info and query. */
  endpoint: string;
}

/** A setting the user must fix (e.g. an OTLP protocol regprobe does not speak): one line. */
export class TelemetryConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TelemetryConfigError';
  }
}

const DEFAULT_ENDPOINT = 'http://localhost:4318';

/** Tracing settings, or undefined when tracing is off (then no SDK module is ever loaded). */
export function telemetrySettings(flag: boolean, env: NodeJS.ProcessEnv = process.env): TelemetrySettings | undefined {
  const set = (name: string) => (env[name] ?? '').trim();
  if (set('OTEL_SDK_DISABLED').toLowerCase() === 'true') return undefined;
  if (set('OTEL_TRACES_EXPORTER').toLowerCase() === 'none') return undefined;
  const tracesEndpoint = set('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const endpoint = set('OTEL_EXPORTER_OTLP_ENDPOINT');
  if (!flag && !tracesEndpoint && !endpoint) return undefined;

  const exporter = set('OTEL_TRACES_EXPORTER').toLowerCase();
  if (exporter && exporter.split(',').some((e) => e.trim() !== 'otlp')) {
    throw new TelemetryConfigError(`OTEL_TRACES_EXPORTER=${exporter} is not supported: regprobe exports traces with OTLP (use otlp, or none)`);
  }
  const protocol = (set('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') || set('OTEL_EXPORTER_OTLP_PROTOCOL') || 'http/protobuf').toLowerCase();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new TelemetryConfigError(`OTLP protocol ${protocol} is not supported: set OTEL_EXPORTER_OTLP_PROTOCOL to http/protobuf (the default) or http/json`);
  }
  const url = tracesEndpoint || `${(endpoint || DEFAULT_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
  return { protocol, url, endpoint: withoutUserInfo(url) };
}

function withoutUserInfo(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    throw new TelemetryConfigError(`the OTLP endpoint is not a URL: ${url.replace(/\/\/[^/@]*@/, '//')}`);
  }
}
