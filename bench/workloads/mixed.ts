// Mixed workload: each operation is a pull or a push of a one-layer image, read/write ratio and
// size mix as parameters (zb's "Pull 75% Push 25%" and "20% 1MB, 70% 10MB, 10% 100MB").
import { num, str, type Params, type WorkloadDefinition } from '../workload.js';
import { makeImageContent, pushImage, readImage, repoName, sizeLabel, uid, uploadMethod, type ImageContent, type ReadImage } from './common.js';
import { pullImage } from './pull.js';
import { parseSize } from '../../src/cli/sizes.js';

export interface SizeShare {
  size: number;
  weight: number;
}

/** `1MiB:20,10MiB:70,100MiB:10` -> sizes and weights (weights need not add to 100). */
export function parseSizeMix(spec: string): SizeShare[] {
  const out: SizeShare[] = [];
  for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [sizeText, weightText = '1'] = part.split(':');
    const size = parseSize(sizeText ?? '');
    const weight = Number(weightText);
    if (size === null || size <= 0) throw new TypeError(`sizes: "${sizeText}" is not a size (e.g. 1MiB:20,10MiB:70)`);
    if (!Number.isFinite(weight) || weight < 0) throw new TypeError(`sizes: weight "${weightText}" is not a number >= 0`);
    out.push({ size, weight });
  }
  if (out.length === 0 || out.every((s) => s.weight === 0)) throw new TypeError('sizes: give at least one size with a weight above 0');
  return out;
}

function pick(mix: SizeShare[], r: number): number {
  const total = mix.reduce((n, s) => n + s.weight, 0);
  let x = r * total;
  for (let i = 0; i < mix.length; i++) {
    x -= mix[i]!.weight;
    if (x < 0) return i;
  }
  return mix.length - 1;
}

type MixedInput = { kind: 'read'; i: number } | { kind: 'write'; img: ImageContent };

function mixLabel(p: Params): string {
  const sizes = parseSizeMix(str(p, 'sizes'))
    .map((s) => `${sizeLabel(s.size)}:${s.weight}`)
    .join(',');
  return `r${String(p.read)}.${sizes}.${String(p.upload)}`;
}

const mixed: WorkloadDefinition = {
  id: 'mixed',
  title: 'pulls and pushes of one-layer images in a read/write ratio and a size mix',
  family: 'mixed',
  writes: true,
  images: true,
  defaults: { read: 80, sizes: '1MiB:20,10MiB:70,100MiB:10', upload: 'post-put' },
  paramHelp: {
    read: 'percent of operations that pull (the rest push)',
    sizes: 'size mix SIZE:WEIGHT,... (e.g. 1MiB:20,10MiB:70,100MiB:10)',
    upload: 'how pushes upload layers: monolithic, post-put, streamed, chunked',
  },
  label: mixLabel,
  async setup(env, params) {
    const readShare = num(params, 'read');
    if (readShare < 0 || readShare > 100) throw new TypeError(`read must be a percentage 0..100, got ${readShare}`);
    const mix = parseSizeMix(str(params, 'sizes'));
    const upload = uploadMethod(params.upload);
    // One image per size to pull, seeded only when reads can happen.
    const images: ReadImage[] = [];
    if (readShare > 0) for (const s of mix) images.push(await readImage(env, `mixed-${sizeLabel(s.size)}`, [s.size]));
    const prefix = repoName(env, `mixed-push-${uid()}`);
    let n = 0;
    return {
      prepare: async (): Promise<MixedInput> => {
        const i = pick(mix, Math.random());
        if (Math.random() * 100 < readShare) return { kind: 'read', i };
        return { kind: 'write', img: await makeImageContent(env.content, [mix[i]!.size]) };
      },
      run: async (input, probe) => {
        const op = input as MixedInput;
        if (op.kind === 'read') {
          await pullImage(env.client, images[op.i]!, probe, false);
          probe.note = 'pull';
          return;
        }
        // Like zb: every pushed image goes to a new repository.
        await pushImage(env, env.client, `${prefix}-${n++}`, op.img, { tag: 'bench', upload });
        probe.bytes = op.img.bytes;
        probe.images = 1;
        probe.note = 'push';
      },
    };
  },
};

export const MIXED_WORKLOADS: readonly WorkloadDefinition[] = [mixed];
