// Push workloads: each upload method of the spec on its own (single-request POST, POST+PUT,
// streamed PATCH, chunked PATCH), cross-repository mount, and whole images. Content is unique per
// push (prepared off the clock) unless --identical-content.
import { mountBlob, type BlobSource } from '../../src/client/operations.js';
import { num, str, type Params, type WorkloadDefinition, type WorkloadEnv } from '../workload.js';
import { makeImageContent, pushImage, repoName, seedBlob, sizeLabel, uid, uploadBlob, uploadMethod, type ImageContent, type UploadMethod } from './common.js';

function blobPush(id: string, how: UploadMethod, title: string, extra: Params = {}): WorkloadDefinition {
  return {
    id,
    title,
    family: 'push',
    writes: true,
    defaults: { size: 1024 * 1024, ...extra },
    paramHelp: { size: 'blob size in bytes', ...(how === 'chunked' ? { chunk: 'bytes per PATCH (raised to OCI-Chunk-Min-Length when the registry asks for more)' } : {}) },
    label: (p) => (how === 'chunked' ? `${sizeLabel(num(p, 'size'))}.c${sizeLabel(num(p, 'chunk'))}` : sizeLabel(num(p, 'size'))),
    async setup(env, params) {
      const repo = repoName(env, `push-${how}`);
      const size = num(params, 'size');
      const chunk = how === 'chunked' ? num(params, 'chunk') : undefined;
      return {
        prepare: () => env.content.blob(size),
        run: async (input, probe) => {
          const src = input as BlobSource;
          probe.note = await uploadBlob(env.client, repo, src, how, chunk);
          env.cleanup.blob(repo, src.digest);
          probe.bytes = src.size;
        },
      };
    },
  };
}

const pushMount: WorkloadDefinition = {
  id: 'push.mount',
  title: 'mount an existing blob into another repository (POST ?mount=&from=), no bytes sent',
  family: 'push',
  writes: true,
  defaults: { size: 1024 * 1024 },
  paramHelp: { size: 'size of the blob mounted' },
  label: (p) => sizeLabel(num(p, 'size')),
  async setup(env, params) {
    const from = repoName(env, 'mount-source');
    const src = await env.content.blob(num(params, 'size'));
    await seedBlob(env, from, src);
    const prefix = uid();
    let n = 0;
    return {
      // Every mount goes to a repository that does not have the blob yet.
      prepare: () => repoName(env, `mount-${prefix}-${n++}`),
      run: async (input, probe) => {
        const repo = input as string;
        const { mounted, res } = await mountBlob(env.client, repo, src.digest, from);
        env.cleanup.blob(repo, src.digest);
        if (!mounted) {
          // Legal (the registry opened an upload session instead): counted, and the session cancelled.
          probe.note = 'mount-fallback';
          const loc = res.header('location');
          if (loc) env.cleanup.upload(loc);
        } else probe.note = 'mounted';
      },
    };
  },
};

function repoMode(p: Params): 'same' | 'new' {
  const v = str(p, 'repo');
  if (v !== 'same' && v !== 'new') throw new TypeError(`repo must be same or new, got ${v}`);
  return v;
}

const pushImageWorkload: WorkloadDefinition = {
  id: 'push.image',
  title: 'push a whole image: config and N layers in parallel, then the manifest (same or new repositories)',
  family: 'push',
  writes: true,
  images: true,
  defaults: { layers: 3, layerSize: 1024 * 1024, repo: 'same', upload: 'post-put', chunk: 1024 * 1024 },
  paramHelp: {
    layers: 'layers per image',
    layerSize: 'bytes per layer',
    repo: 'same: every image into one repository (a new tag each); new: a new repository per image',
    upload: 'monolithic, post-put, streamed or chunked',
    chunk: 'bytes per PATCH for upload=chunked',
  },
  label: (p) => `${String(p.layers)}x${sizeLabel(num(p, 'layerSize'))}.${String(p.upload)}.${String(p.repo)}-repo`,
  async setup(env: WorkloadEnv, params: Params) {
    const layers = Array.from({ length: Math.max(1, num(params, 'layers')) }, () => num(params, 'layerSize'));
    const mode = repoMode(params);
    const upload = uploadMethod(params.upload);
    const chunk = num(params, 'chunk');
    const base = repoName(env, `push-image-${uid()}`);
    let n = 0;
    return {
      prepare: () => makeImageContent(env.content, layers),
      run: async (input, probe) => {
        const img = input as ImageContent;
        const i = n++;
        const repo = mode === 'same' ? base : `${base}-${i}`;
        probe.note = await pushImage(env, env.client, repo, img, { tag: `t${i}`, upload, chunkSize: chunk });
        probe.bytes = img.bytes;
        probe.images = 1;
      },
    };
  },
};

export const PUSH_WORKLOADS: readonly WorkloadDefinition[] = [
  blobPush('push.monolithic', 'monolithic', 'upload a blob in one request (POST ?digest= with the body)'),
  blobPush('push.post-put', 'post-put', 'upload a blob with POST then PUT ?digest= carrying the body'),
  blobPush('push.streamed', 'streamed', 'upload a blob as one streamed PATCH, then PUT ?digest='),
  blobPush('push.chunked', 'chunked', 'upload a blob in PATCH chunks with Content-Range, then PUT', { size: 8 * 1024 * 1024, chunk: 1024 * 1024 }),
  pushMount,
  pushImageWorkload,
];
