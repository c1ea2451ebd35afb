// A conformance report with every status and skip kind, and hostile target-supplied text (markup,
// control characters, backticks, pipes), for the report-writer tests.
import type { CaseResult, ConformanceReport } from '../../src/conformance/model.js';
import { summaryOf } from '../../src/conformance/runner.js';

export const HOSTILE_BODY = '<script>alert("x")</script> ]]> & `code` ``` | pipe \u0001\u001b[31mred\u001b[0m\n{"errors":[]}';

export function sampleReport(): ConformanceReport {
  const results: CaseResult[] = [
    {
      id: 'pull.manifest.by-tag',
      workflow: 'pull',
      title: 'GET a manifest by tag returns the exact bytes pushed.',
      requirements: [{ ref: 'end-3', level: 'MUST' }],
      level: 'MUST',
      status: 'pass',
      durationMs: 3.2,
      observations: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    },
    {
      id: 'pull.blob.missing-404',
      workflow: 'pull',
      title: 'GET of a blob that does not exist answers 404 <BLOB_UNKNOWN>.',
      requirements: [{ ref: 'end-2', level: 'MUST' }, { ref: 'code-1', level: 'SHOULD' }],
      level: 'MUST',
      status: 'fail',
      durationMs: 1.5,
      message: 'expected status 404, got status 500 (GET /v2/x/blobs/sha256:abc)',
      expected: 'status 404',
      actual: 'status 500 & <b>bold</b>',
      exchange: {
        request: 'GET /v2/regprobe-conformance/r1/pull/blobs/sha256:abc?a=1&b=<2>',
        status: 500,
        headers: { 'content-type': 'text/html; x="<y>"' },
        bodyStart: HOSTILE_BODY,
      },
    },
    {
      id: 'push.blob.post-put',
      workflow: 'push',
      title: 'POST then PUT uploads a blob.',
      requirements: [{ ref: 'end-4a', level: 'MUST' }],
      level: 'MUST',
      status: 'error',
      durationMs: 2000,
      message: 'POST http://127.0.0.1:1/v2/x/blobs/uploads/: timed out waiting for the registry (UND_ERR_HEADERS_TIMEOUT)',
    },
    {
      id: 'push.blob.chunk-min',
      workflow: 'push',
      title: 'The registry announces OCI-Chunk-Min-Length.',
      requirements: [{ ref: 'end-5', level: 'SHOULD' }],
      level: 'SHOULD',
      status: 'fail',
      durationMs: 1,
      message: 'expected header, got none',
      expected: 'header OCI-Chunk-Min-Length present',
      actual: 'no oci-chunk-min-length header',
    },
    {
      id: 'discovery.catalog.list',
      workflow: 'discovery',
      title: 'The catalog lists repositories.',
      requirements: [{ ref: 'catalog', level: 'MAY' }],
      level: 'MAY',
      status: 'skip',
      skipKind: 'unsupported',
      message: 'catalog answers 404 | not offered',
      durationMs: 0.4,
    },
    {
      id: 'discovery.catalog.page',
      workflow: 'discovery',
      title: 'The catalog paginates.',
      requirements: [{ ref: 'catalog', level: 'MAY' }],
      level: 'MAY',
      status: 'skip',
      skipKind: 'dependency',
      message: 'depends on discovery.catalog.list, which was skipped',
      durationMs: 0,
    },
    {
      id: 'referrers.api.filter',
      workflow: 'referrers',
      title: 'artifactType filters referrers.',
      requirements: [{ ref: 'end-12b', level: 'MUST' }],
      level: 'MUST',
      status: 'skip',
      skipKind: 'spec-version',
      message: 'specified from draft on; this run checks spec 1.1',
      durationMs: 0,
    },
  ];
  return {
    schema: 'regprobe.conformance/v1',
    tool: { name: 'regprobe', version: '0.1.0', node: 'v20.20.0' },
    target: { url: 'http://127.0.0.1:5000/', serverHeaders: { server: 'evil <server>', 'docker-distribution-api-version': 'registry/2.0' }, reference: false },
    options: { spec: '1.1', readOnly: false, namespace: 'regprobe-conformance', only: [], skip: [] },
    startedAt: '2026-01-02T03:04:05.000Z',
    durationMs: 2345.6,
    results,
    summary: summaryOf(results),
  };
}
