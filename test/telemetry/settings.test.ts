// When tracing is on (the standard OTEL_* variables and --otel) and the one-line errors for settings
// regprobe cannot honour; withTelemetry() without tracing runs the command and starts nothing.
import t from 'tap';
import { telemetrySettings, TelemetryConfigError } from '../../src/telemetry/settings.js';
import { withTelemetry } from '../../src/cli/otel-option.js';
import { CliError } from '../../src/cli/exit.js';
import { activeTelemetry } from '../../src/telemetry/sdk.js';
import { routeTemplate, spanUrl } from '../../src/telemetry/http-client-spans.js';
import { clearSecrets, registerSecret } from '../../src/auth/redact.js';

t.test('tracing is on with an OTLP endpoint or --otel, off when disabled', async (t) => {
  t.equal(telemetrySettings(false, {}), undefined, 'nothing set: off');
  t.equal(telemetrySettings(false, { OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }), undefined, 'blank is unset');
  t.same(telemetrySettings(true, {}), { protocol: 'http/protobuf', url: 'http://localhost:4318/v1/traces', endpoint: 'http://localhost:4318/v1/traces' }, '--otel alone: the standard default endpoint and protocol');
  t.same(telemetrySettings(false, { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://u:secret@collector:4318/', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), {
    protocol: 'http/json',
    url: 'https://u:secret@collector:4318/v1/traces',
    endpoint: 'https://collector:4318/v1/traces',
  }, '/v1/traces appended; shown without user info');
  t.same(telemetrySettings(false, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:1234/custom', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), {
    protocol: 'http/json',
    url: 'http://c:1234/custom',
    endpoint: 'http://c:1234/custom',
  }, 'the traces-specific variables win');
  t.equal(telemetrySettings(true, { OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), undefined, 'OTEL_SDK_DISABLED=true wins over --otel');
  t.equal(telemetrySettings(true, { OTEL_TRACES_EXPORTER: 'none' }), undefined, 'OTEL_TRACES_EXPORTER=none');
  t.throws(() => telemetrySettings(true, { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), new TelemetryConfigError('OTLP protocol grpc is not supported: set OTEL_EXPORTER_OTLP_PROTOCOL to http/protobuf (the default) or http/json'));
  t.throws(() => telemetrySettings(true, { OTEL_TRACES_EXPORTER: 'zipkin' }), /OTEL_TRACES_EXPORTER=zipkin is not supported/);
  t.throws(() => telemetrySettings(false, { OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }), /the OTLP endpoint is not a URL/);
});

t.test('withTelemetry: bad settings are usage errors; without tracing the command just runs', async (t) => {
  await t.rejects(withTelemetry({ otelSampleRate: 2 }, 'bench', async () => 1, { env: {} }), new CliError('--otel-sample-rate must be a fraction from 0 to 1, got 2'));
  await t.rejects(withTelemetry({ otel: true }, 'bench', async () => 1, { env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }), CliError);
  let ran = false;
  t.equal(await withTelemetry({ otel: false }, 'bench', async () => ((ran = true), 7), { env: {} }), 7);
  t.ok(ran);
  t.equal(activeTelemetry(), undefined, 'no SDK started');
});

t.test('span URLs: no user info, query values masked unless known to be harmless, registered secrets masked', async (t) => {
  t.teardown(clearSecrets);
  t.equal(spanUrl(new URL('https://bob:pw@r.example/v2/a/tags/list?n=10&last=x')), 'https://r.example/v2/a/tags/list?n=10&last=x');
  t.equal(
    spanUrl(new URL('https://bucket.s3.example/blob?X-Amz-Signature=abc&X-Amz-Credential=AKIA&X-Amz-Security-Token=tok&digest=sha256%3A00')),
    'https://bucket.s3.example/blob?X-Amz-Signature=<redacted>&X-Amz-Credential=<redacted>&X-Amz-Security-Token=<redacted>&digest=sha256%3A00',
  );
  t.equal(spanUrl(new URL('https://auth.example/token?service=reg&scope=repository%3Aa%3Apull&account=bob&password=hunter22')), 'https://auth.example/token?service=reg&scope=repository%3Aa%3Apull&account=bob&password=<redacted>');
  registerSecret('s3cr3t-in-path');
  t.equal(spanUrl(new URL('https://r.example/v2/s3cr3t-in-path/manifests/x')), 'https://r.example/v2/<redacted>/manifests/x');
});

t.test('route templates name client spans', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['/v2/', '/v2/'],
    ['/v2', '/v2/'],
    ['/v2/_catalog', '/v2/_catalog'],
    ['/v2/a/b/tags/list', '/v2/{name}/tags/list'],
    ['/v2/a/manifests/latest', '/v2/{name}/manifests/{reference}'],
    ['/v2/a/blobs/uploads/', '/v2/{name}/blobs/uploads/'],
    ['/v2/a/blobs/uploads/3f-9a', '/v2/{name}/blobs/uploads/{session}'],
    ['/v2/a/b/blobs/sha256:00', '/v2/{name}/blobs/{digest}'],
    ['/v2/a/referrers/sha256:00', '/v2/{name}/referrers/{digest}'],
    ['/token', undefined],
  ];
  for (const [path, want] of cases) t.equal(routeTemplate(path), want, path);
});
