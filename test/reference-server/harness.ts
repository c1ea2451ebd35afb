// Shared set-up of the reference-server tests: an in-process server on port 0 with a temp store,
// a RegistryClient pointed at it, and small helpers to push content and read errors.
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RegistryClient, type RegistryResponse } from '../../src/client/registry-client.js';
import { digestOf } from '../../src/oci/digest.js';
import { parseErrorBody } from '../../src/oci/errors.js';
import { EMPTY_JSON, EMPTY_JSON_DIGEST, MediaType } from '../../src/oci/media-types.js';
import { startReferenceServer, type ReferenceServer, type ReferenceServerOptions } from '../../reference-server/server.js';

export interface Tap {
  teardown(fn: () => unknown): void;
}

export interface Registry {
  server: ReferenceServer;
  client: RegistryClient;
}

export async function startRegistry(t: Tap, opts: ReferenceServerOptions = {}): Promise<Registry> {
  const server = await startReferenceServer(opts);
  const client = new RegistryClient({ baseUrl: server.url, timeoutMs: 20_000 });
  t.teardown(async () => {
    await client.close();
    await server.close();
  });
  return { server, client };
}

export async function tempDir(t: Tap): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'regprobe-rs-test-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** The error codes of a response body (reads the body). */
export async function errorCodes(res: RegistryResponse): Promise<string[]> {
  const text = await res.text();
  const body = parseErrorBody(text);
  if (!body) throw new Error(`${res.requestLine} ${res.status}: not an OCI error body: ${JSON.stringify(text.slice(0, 200))}`);
  return body.errors.map((e) => e.code);
}

/** Single-request upload; returns the digest. Throws unless 201. */
export async function pushBlob(client: RegistryClient, repo: string, data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const digest = digestOf(bytes);
  const res = await client.request({ method: 'POST', path: `/v2/${repo}/blobs/uploads/`, query: { digest }, headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  if (res.status !== 201) throw new Error(`push blob to ${repo}: ${res.status} ${await res.text()}`);
  await res.dump();
  return digest;
}

export interface PushedManifest {
  digest: string;
  bytes: Buffer;
  mediaType: string;
}

export async function putManifest(client: RegistryClient, repo: string, reference: string, doc: unknown, mediaType?: string): Promise<PushedManifest> {
  const bytes = Buffer.from(typeof doc === 'string' ? doc : JSON.stringify(doc));
  const type = mediaType ?? ((doc as { mediaType?: string }).mediaType ?? MediaType.ociManifest);
  const res = await client.request({ method: 'PUT', path: `/v2/${repo}/manifests/${reference}`, headers: { 'content-type': type }, body: bytes });
  if (res.status !== 201) throw new Error(`put manifest ${repo}:${reference}: ${res.status} ${await res.text()}`);
  await res.dump();
  return { digest: digestOf(bytes), bytes, mediaType: type };
}

/** A small OCI image (empty config + the given layers) pushed to repo, tagged when `tag` is given. */
export async function pushImage(client: RegistryClient, repo: string, tag: string | undefined, layers: string[] = ['layer'], extra: Record<string, unknown> = {}): Promise<PushedManifest & { layerDigests: string[] }> {
  await pushBlob(client, repo, EMPTY_JSON);
  const layerDigests: string[] = [];
  for (const l of layers) layerDigests.push(await pushBlob(client, repo, l));
  const doc = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociEmpty, digest: EMPTY_JSON_DIGEST, size: 2 },
    layers: layers.map((l, i) => ({ mediaType: MediaType.ociLayerTar, digest: layerDigests[i]!, size: Buffer.byteLength(l) })),
    ...extra,
  };
  const bytes = Buffer.from(JSON.stringify(doc));
  const pushed = await putManifest(client, repo, tag ?? digestOf(bytes), bytes.toString(), MediaType.ociManifest);
  return { ...pushed, layerDigests };
}

/** Sends raw bytes on a fresh connection and returns everything the server wrote before closing. */
export function rawExchange(port: number, request: string | Buffer, waitMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => sock.destroy(), waitMs);
    sock.on('data', (c) => chunks.push(c));
    sock.on('error', (e) => {
      clearTimeout(timer);
      if (chunks.length) resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString('latin1'));
    });
    sock.write(request);
  });
}

/** Status line and lower-cased headers of a raw HTTP response. */
export function parseRawResponse(raw: string): { status: number; headers: Record<string, string>; body: string } {
  const end = raw.indexOf('\r\n\r\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const [statusLine, ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { status: Number(statusLine?.split(' ')[1] ?? 0), headers, body: end < 0 ? '' : raw.slice(end + 4) };
}
