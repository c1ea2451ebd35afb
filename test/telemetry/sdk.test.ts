// The SDK in this process (its own test file: registering a tracer provider is process-wide): spans
// of a command reach the exporter, open HTTP spans are ended at shutdown, and a collector that is not
// there costs one warning line and never the command's result.
import t from 'tap';
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { closedPort } from '../helpers/broken-targets.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { withTelemetry } from '../../src/cli/otel-option.js';
import { activeTelemetry } from '../../src/telemetry/sdk.js';
import { RegistryClient } from '../../src/client/registry-client.js';
import { startReferenceServer } from '../../reference-server/server.js';

t.test('a dead collector: the command result stands, one warning line', async (t) => {
  const port = await closedPort();
  process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '300';
  t.teardown(() => void delete process.env.OTEL_EXPORTER_OTLP_TIMEOUT);
  const stderr = new PassThrough();
  let said = '';
  stderr.on('data', (d: Buffer) => (said += d.toString()));
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  const value = await withTelemetry({}, 'probe', async () => 'result', { env, stderr });
  t.equal(value, 'result');
  t.equal(activeTelemetry(), undefined, 'shut down');
  t.match(said, new RegExp(`^regprobe: warning: 1 spans could not be exported to http://127\\.0\\.0\\.1:${port}/v1/traces \\(.*ECONNREFUSED.*\\)\\n$`));
});

t.test('an HTTP exchange whose body nobody reads is ended (and marked) at shutdown', async (t) => {
  const rx = await startOtlpReceiver();
  t.teardown(() => rx.close());
  const server = await startReferenceServer();
  t.teardown(() => server.close());
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' };
  const client = new RegistryClient({ baseUrl: server.url });
  // A blob far larger than the socket and stream buffers: unread, its response cannot complete.
  const blob = Buffer.alloc(8 * 1024 * 1024, 7);
  const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
  const pushed = await client.request({ method: 'POST', path: '/v2/otel/unread/blobs/uploads/', query: { digest }, body: blob, headers: { 'content-type': 'application/octet-stream' } });
  await pushed.dump();
  t.equal(pushed.status, 201);
  const unread = await withTelemetry({}, 'probe', async () => {
    const read = await client.request({ method: 'GET', path: '/v2/' });
    await read.dump();
    return client.request({ method: 'GET', path: `/v2/otel/unread/blobs/${digest}` }); // body left unread
  }, { env });
  unread.body.destroy();
  await client.close();
  const spans = rx.spans();
  const root = spans.find((s) => s.name === 'regprobe probe')!;
  t.ok(root, 'the command span');
  const base = spans.find((s) => s.name === 'GET /v2/')!;
  const catalog = spans.find((s) => s.name === 'GET /v2/{name}/blobs/{digest}')!;
  t.equal(base.parentSpanId, root.spanId);
  t.equal(catalog.parentSpanId, root.spanId);
  t.notOk(base.attributes['regprobe.http.response_unfinished'], 'a body read to its end ends the span');
  t.equal(catalog.attributes['regprobe.http.response_unfinished'], true, 'an unread body: ended at shutdown, marked');
  t.equal(catalog.attributes['http.response.status_code'], 200);
});
