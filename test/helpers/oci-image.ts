// A small, real OCI image built offline with umoci (OCI image layout on disk), for interop tests
// with real clients. One layer per requested size: that many random bytes plus two small text
// files (size 0 = only the text files). Random data does not compress, so a layer blob is ~size.
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { uniqueBytes } from '../../src/conformance/fixtures.js';
import { Digester } from '../../src/oci/digest.js';

const run = promisify(execFile);

export interface OciImageManifest {
  mediaType?: string;
  config: { digest: string; size: number; mediaType: string };
  layers: { digest: string; size: number; mediaType: string }[];
}

export interface OciImage {
  /** OCI image layout directory. */
  layout: string;
  tag: string;
  /** Digest of the image manifest (the tag's entry in index.json). */
  manifestDigest: string;
  manifest: OciImageManifest;
}

/** Runs a peer tool; on failure the error names the command and its stderr. */
export async function tool(cmd: string, args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${(e.stderr || e.message).trim().slice(-2000)}`);
  }
}

/** Builds `layout:tag` with one layer per size (bytes). The caller removes `layout`. */
export async function buildOciImage(layout: string, tag: string, layerSizes: number[]): Promise<OciImage> {
  await tool('umoci', ['init', '--layout', layout]);
  await tool('umoci', ['new', '--image', `${layout}:${tag}`]);
  const work = await mkdtemp(join(tmpdir(), 'regprobe-layer-'));
  try {
    for (const [i, size] of layerSizes.entries()) {
      const dir = join(work, `layer${i + 1}`);
      await mkdir(join(dir, 'etc'), { recursive: true });
      await mkdir(join(dir, 'data'), { recursive: true });
      await writeFile(join(dir, 'etc', `layer-${i + 1}.txt`), `layer ${i + 1} of ${tag}: ${size} random bytes\n`);
      await writeFile(join(dir, 'data', `hello-${i + 1}.sh`), `#!/bin/sh\necho "hello from layer ${i + 1}"\n`);
      await chmod(join(dir, 'data', `hello-${i + 1}.sh`), 0o755);
      if (size > 0) await writeFile(join(dir, 'data', `random-${i + 1}.bin`), uniqueBytes(size));
      await tool('umoci', ['insert', '--image', `${layout}:${tag}`, '--history.created_by', `regprobe test layer ${i + 1} (${size} bytes)`, dir, `/layer${i + 1}`]);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  await tool('umoci', ['config', '--image', `${layout}:${tag}`, '--os', 'linux', '--architecture', 'amd64', '--config.cmd', '/layer1/data/hello-1.sh']);
  await tool('umoci', ['gc', '--layout', layout]);
  const manifestDigest = await layoutTagDigest(layout, tag);
  if (!manifestDigest) throw new Error(`umoci left no tag ${tag} in ${layout}/index.json`);
  const manifest = JSON.parse(await readFile(blobPath(layout, manifestDigest), 'utf8')) as OciImageManifest;
  return { layout, tag, manifestDigest, manifest };
}

interface LayoutIndex {
  manifests: { digest: string; annotations?: Record<string, string> }[];
}

/** The manifest digest a tag names in an OCI layout's index.json, or undefined. */
export async function layoutTagDigest(layout: string, tag: string): Promise<string | undefined> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as LayoutIndex;
  return index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag)?.digest;
}

export function blobPath(layout: string, digest: string): string {
  const [alg, enc] = digest.split(':');
  return join(layout, 'blobs', alg!, enc!);
}

/** sha256 of a file, streamed. */
export async function fileDigest(path: string): Promise<string> {
  const d = new Digester('sha256');
  for await (const chunk of createReadStream(path)) d.update(chunk as Buffer);
  return d.digest();
}

/** Every blob file of a layout whose content does not hash to its file name (empty = all good). */
export async function corruptBlobs(layout: string): Promise<{ blobs: number; bad: string[] }> {
  const dir = join(layout, 'blobs', 'sha256');
  const names = await readdir(dir);
  const bad: string[] = [];
  for (const name of names) {
    const got = await fileDigest(join(dir, name));
    if (got !== `sha256:${name}`) bad.push(`${name} hashes to ${got}`);
  }
  return { blobs: names.length, bad };
}
