// Named sets of workloads with their load settings. `quick` is the default and what `regprobe run`
// uses (about a minute); `standard` covers every workload at three concurrencies; `zb` reproduces
// the workload set of zot's zb so numbers can be put next to zb's.
import type { Params } from './workload.js';

const KiB = 1024;
const MiB = 1024 * KiB;

export interface WorkloadSpec {
  id: string;
  params?: Params;
  /** Overrides of the profile's load settings for this workload. */
  concurrency?: number[];
  durationMs?: number;
  count?: number;
  warmupMs?: number;
}

export interface Profile {
  name: string;
  description: string;
  /** Closed-loop concurrency steps. */
  concurrency: number[];
  /** Measured time per step (unless `count`). */
  durationMs?: number;
  /** Measured operations per step (zb measures by count). */
  count?: number;
  warmupMs: number;
  workloads: WorkloadSpec[];
}

const quick: Profile = {
  name: 'quick',
  description: 'about a minute: the main reads and writes at concurrency 8 (the default; used by `regprobe run`)',
  concurrency: [8],
  durationMs: 3000,
  warmupMs: 1000,
  workloads: [
    { id: 'ping' },
    { id: 'token.issue' },
    { id: 'manifest.get', params: { by: 'tag' } },
    { id: 'manifest.head', params: { by: 'digest' } },
    { id: 'tags.list', params: { tags: 100, n: 0 } },
    { id: 'blob.get', params: { size: MiB } },
    { id: 'pull.image', params: { layers: 3, layerSize: MiB } },
    { id: 'push.monolithic', params: { size: MiB } },
    { id: 'push.image', params: { layers: 3, layerSize: MiB, repo: 'same' } },
    { id: 'mixed', params: { read: 80, sizes: '256KiB:50,1MiB:40,4MiB:10' } },
  ],
};

const standard: Profile = {
  name: 'standard',
  description: 'every workload at concurrency 1, 8 and 32 (about 10 minutes)',
  concurrency: [1, 8, 32],
  durationMs: 5000,
  warmupMs: 1000,
  workloads: [
    { id: 'ping' },
    { id: 'token.issue' },
    { id: 'manifest.get', params: { by: 'tag' } },
    { id: 'manifest.get', params: { by: 'digest' } },
    { id: 'manifest.head', params: { by: 'tag' } },
    { id: 'tags.list', params: { tags: 10, n: 0 } },
    { id: 'tags.list', params: { tags: 1000, n: 0 } },
    { id: 'tags.list', params: { tags: 10000, n: 0 } },
    { id: 'tags.list', params: { tags: 10000, n: 100 } },
    { id: 'catalog', params: { n: 100, repos: 10 } },
    { id: 'referrers', params: { referrers: 10 } },
    { id: 'blob.get', params: { size: MiB } },
    { id: 'blob.get', params: { size: 64 * MiB }, concurrency: [1, 8] },
    { id: 'pull.image', params: { layers: 3, layerSize: 4 * MiB } },
    { id: 'pull.range', params: { size: 16 * MiB, range: MiB } },
    { id: 'pull.storm', params: { layers: 3, layerSize: MiB }, concurrency: [32, 64] },
    { id: 'push.monolithic', params: { size: MiB } },
    { id: 'push.post-put', params: { size: MiB } },
    { id: 'push.streamed', params: { size: 16 * MiB } },
    { id: 'push.chunked', params: { size: 16 * MiB, chunk: 4 * MiB } },
    { id: 'push.mount' },
    { id: 'push.image', params: { layers: 3, layerSize: 4 * MiB, repo: 'same' } },
    { id: 'push.image', params: { layers: 3, layerSize: 4 * MiB, repo: 'new' } },
    { id: 'mixed', params: { read: 80, sizes: '1MiB:70,16MiB:30' } },
  ],
};

// zb (project-zot/zot cmd/zb): each push goes to a new repository as config + one layer + manifest,
// "monolith" = POST then PUT with the body, "chunk streamed" = POST, one PATCH, PUT; each pull HEADs
// and GETs manifest, config and layer. zb counts requests (-n) at one concurrency (-c). zb pushes the
// same bytes every time; here content is unique unless --identical-content (which matches zb).
const zbSizes = [1 * MiB, 10 * MiB, 100 * MiB];
const zbImage = (size: number, upload: string): WorkloadSpec => ({ id: 'push.image', params: { layers: 1, layerSize: size, repo: 'new', upload } });
const zb: Profile = {
  name: 'zb',
  description: "zot's zb workload set: push monolith / streamed chunk / pull at 1, 10, 100 MB; mixed sizes; pull 75% + push 25%; catalog (c=10, n=100)",
  concurrency: [10],
  count: 100,
  warmupMs: 0,
  workloads: [
    { id: 'catalog', params: { n: 0, repos: 100 } },
    ...zbSizes.map((s) => zbImage(s, 'post-put')),
    ...zbSizes.map((s) => zbImage(s, 'streamed')),
    ...zbSizes.map((s): WorkloadSpec => ({ id: 'pull.image', params: { layers: 1, layerSize: s, headFirst: true } })),
    { id: 'mixed', params: { read: 100, sizes: '1MiB:20,10MiB:70,100MiB:10', upload: 'post-put' } },
    { id: 'mixed', params: { read: 0, sizes: '1MiB:20,10MiB:70,100MiB:10', upload: 'post-put' } },
    { id: 'mixed', params: { read: 0, sizes: '1MiB:33,10MiB:33,100MiB:33', upload: 'streamed' } },
    ...zbSizes.map((s): WorkloadSpec => ({ id: 'mixed', params: { read: 75, sizes: `${s / MiB}MiB:1`, upload: 'post-put' } })),
  ],
};

export const PROFILES: readonly Profile[] = [quick, standard, zb];

export function findProfile(name: string): Profile | undefined {
  return PROFILES.find((p) => p.name === name);
}
