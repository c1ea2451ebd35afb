// Pull workloads: blob GET by size, whole images (every digest verified while the bytes stream),
// range reads, and a pull storm (many fresh clients pulling one image at once).
import type { RegistryClient } from '../../src/client/registry-client.js';
import { fetchManifestVerified, headManifest, readBlob, type BlobSource } from '../../src/client/operations.js';
import { blobGetOp } from '../../src/client/load-reads.js';
import { uniqueBytes } from '../../src/conformance/fixtures.js';
import { digestOf } from '../../src/oci/digest.js';
import { bool, num, type OpProbe, type WorkloadDefinition } from '../workload.js';
import { existingImage, readImage, repoName, seedBlob, sizeLabel, type ReadImage } from './common.js';

const blobGet: WorkloadDefinition = {
  id: 'blob.get',
  title: 'GET one blob of a given size, its digest verified as it streams',
  family: 'pull',
  writes: false,
  defaults: { size: 1024 * 1024, verify: true },
  paramHelp: { size: 'blob size in bytes (read-only: the largest layer of --tag)', verify: 'hash the body and compare with the digest' },
  label: (p) => sizeLabel(num(p, 'size')),
  async setup(env, params) {
    const verify = bool(params, 'verify');
    let repo: string;
    let digest: string;
    if (env.readOnly) {
      const img = await existingImage(env);
      const largest = [...img.layers].sort((a, b) => b.size - a.size)[0] ?? img.config;
      repo = img.repo;
      digest = largest.digest;
    } else {
      repo = repoName(env, 'blobs');
      const src = await env.content.blob(num(params, 'size'));
      await seedBlob(env, repo, src);
      digest = src.digest;
    }
    const read = blobGetOp(env.client, repo, digest, verify);
    return {
      run: async (_in, probe) => {
        const r = await read();
        probe.ttfbMs = r.ttfbMs;
        probe.bytes = r.bytes;
      },
    };
  },
};

/** Pulls a whole image: manifest (verified), then config and layers in parallel (each verified). */
async function pullImage(client: RegistryClient, img: ReadImage, probe: OpProbe, headFirst: boolean): Promise<void> {
  if (headFirst) await headManifest(client, img.repo, img.tag);
  const m = await fetchManifestVerified(client, img.repo, img.tag);
  probe.ttfbMs = m.ttfbMs;
  const json = JSON.parse(m.bytes.toString('utf8')) as { config?: { digest: string }; layers?: Array<{ digest: string }>; manifests?: unknown };
  // The tag may point at an index (read-only targets): its image manifest was resolved at setup.
  const blobs = json.config && json.layers ? [json.config, ...json.layers] : [img.config, ...img.layers];
  const reads = await Promise.all(blobs.map((b) => readBlob(client, img.repo, b.digest, { headFirst })));
  probe.bytes = m.bytes.length + reads.reduce((n, r) => n + r.bytes, 0);
  probe.images = 1;
}

function layerSizes(layers: number, size: number): number[] {
  return Array.from({ length: Math.max(1, layers) }, () => size);
}

const pullImageWorkload: WorkloadDefinition = {
  id: 'pull.image',
  title: 'pull a whole image: manifest, then config and layers in parallel, every digest verified',
  family: 'pull',
  writes: false,
  images: true,
  defaults: { layers: 3, layerSize: 1024 * 1024, headFirst: false },
  paramHelp: { layers: 'layers in the image', layerSize: 'bytes per layer', headFirst: 'HEAD each manifest and blob before GET (as zb and some clients do)' },
  label: (p) => `${String(p.layers)}x${sizeLabel(num(p, 'layerSize'))}`,
  async setup(env, params) {
    const img = await readImage(env, 'pull-image', layerSizes(num(params, 'layers'), num(params, 'layerSize')));
    const headFirst = bool(params, 'headFirst');
    return { run: (_in, probe) => pullImage(env.client, img, probe, headFirst) };
  },
};

const pullStorm: WorkloadDefinition = {
  id: 'pull.storm',
  title: 'many clients pull one image at once, each on a new connection (and its own token)',
  family: 'pull',
  writes: false,
  images: true,
  defaults: { layers: 3, layerSize: 1024 * 1024 },
  paramHelp: { layers: 'layers in the image', layerSize: 'bytes per layer' },
  label: (p) => `${String(p.layers)}x${sizeLabel(num(p, 'layerSize'))}`,
  async setup(env, params) {
    const img = await readImage(env, 'pull-storm', layerSizes(num(params, 'layers'), num(params, 'layerSize')));
    return {
      run: async (_in, probe) => {
        const client = env.newClient();
        try {
          await pullImage(client, img, probe, false);
        } finally {
          await client.close();
        }
      },
    };
  },
};

const pullRange: WorkloadDefinition = {
  id: 'pull.range',
  title: 'GET a byte range of a blob (resumed and partial downloads), the bytes compared',
  family: 'pull',
  writes: false,
  defaults: { size: 16 * 1024 * 1024, range: 1024 * 1024 },
  paramHelp: { size: 'blob size (read-only: the largest layer of --tag)', range: 'bytes per range request, at a random offset' },
  label: (p) => `${sizeLabel(num(p, 'range'))}-of-${sizeLabel(num(p, 'size'))}`,
  async setup(env, params) {
    let repo: string;
    let digest: string;
    let size: number;
    let bytes: Buffer | undefined;
    if (env.readOnly) {
      const img = await existingImage(env);
      const largest = [...img.layers].sort((a, b) => b.size - a.size)[0] ?? img.config;
      ({ digest, size } = largest);
      repo = img.repo;
    } else {
      // Kept in memory (bounded by the size parameter) so each range can be compared byte for byte.
      size = num(params, 'size');
      bytes = uniqueBytes(size);
      const src: BlobSource = { digest: digestOf(bytes), size, open: () => bytes! };
      repo = repoName(env, 'range');
      await seedBlob(env, repo, src);
      digest = src.digest;
    }
    const want = Math.max(1, Math.min(num(params, 'range'), size));
    return {
      prepare: () => Math.floor(Math.random() * (size - want + 1)),
      run: async (input, probe) => {
        const start = input as number;
        const end = start + want - 1;
        const r = await readBlob(env.client, repo, digest, { range: { start, end }, ...(bytes ? { expect: bytes.subarray(start, end + 1) } : {}) });
        probe.ttfbMs = r.ttfbMs;
        probe.bytes = r.bytes;
        if (r.status === 200) probe.note = 'range-ignored';
      },
    };
  },
};

export const PULL_WORKLOADS: readonly WorkloadDefinition[] = [blobGet, pullImageWorkload, pullRange, pullStorm];
export { pullImage };
