// Content management (spec "Content Management", end-9/end-10): deleting a tag, a manifest and a blob,
// each followed by GET/HEAD and the tag list. Registries MAY disable deletion (400 or 405): those cases
// are skipped as "not offered", never failed.
import type { CaseContext, CaseDefinition, RegistryResponse, Suite } from '../src/conformance/model.js';
import { expectThat, fail } from '../src/conformance/expect.js';
import { makeImage, uniqueBytes } from '../src/conformance/fixtures.js';
import { ACCEPT_MANIFESTS, uploadBlobPostPut } from '../src/client/operations.js';
import { pushImage, tagImage, trackBlob, unknownDigest } from './common/content.js';
import { show, walkLinks } from './common/pages.js';
import { nonce, uniqueArtifact } from './common/unique-content.js';

const CONTENT_MANAGEMENT = { ref: 'content-management', level: 'MAY', text: 'Registries MAY implement deletion or they MAY disable it' } as const;
const DELETE_TAG = { ref: 'end-9', level: 'MUST', text: 'DELETE /v2/<name>/manifests/<tag>: upon success MUST respond 202; if tag deletion is disabled MUST respond 400 or 405; once deleted, a GET of the tag will return 404' } as const;
const DELETE_MANIFEST = { ref: 'end-9', level: 'MUST', text: 'DELETE /v2/<name>/manifests/<digest>: upon success MUST respond 202; if disabled MUST respond 400 or 405; once deleted, a GET of the digest and of any tag pointing to it will return 404' } as const;
const DELETE_BLOB = { ref: 'end-10', level: 'MUST', text: 'DELETE /v2/<name>/blobs/<digest>: upon success MUST respond 202; if the blob is not found MUST return 404; if disabled MUST respond 400 or 405' } as const;
const NOT_FOUND_AFTER = { ref: 'end-3', level: 'MUST', text: 'If the manifest (or blob, end-2) is not found in the repository, the response code MUST be 404' } as const;

type DeleteKind = 'tag' | 'manifest' | 'blob';

/**
 * 202: deleted. 400/405: deletion of this kind is disabled (legal): recorded, then the case is skipped.
 * Anything else fails the case.
 */
function deleteOutcome(ctx: CaseContext, res: RegistryResponse, kind: DeleteKind): void {
  if (res.status === 202) {
    ctx.state.set(`delete-${kind}`, 'enabled');
    return;
  }
  if (res.status === 400 || res.status === 405) {
    ctx.state.set(`delete-${kind}`, 'disabled');
    skipDisabled(ctx, res, kind);
  }
  fail(`${kind} DELETE: 202, or 400/405 when ${kind} deletion is disabled`, `status ${res.status}`, res);
}

function skipDisabled(ctx: CaseContext, res: RegistryResponse, kind: DeleteKind): never {
  ctx.observe(`${kind}-delete`, `disabled (${res.status})`);
  ctx.skip('unsupported', `${kind} deletion is disabled: ${res.requestLine} answered ${res.status} (legal)`);
}

async function send(ctx: CaseContext, method: string, path: string, accept = false): Promise<RegistryResponse> {
  const res = await ctx.client.request({ method, path, ...(accept ? { headers: { accept: ACCEPT_MANIFESTS } } : {}) });
  await res.dump();
  return res;
}

/** GET and HEAD of `path` (`what` names it) both answer 404. */
async function expectGone(ctx: CaseContext, path: string, what: string): Promise<void> {
  for (const method of ['GET', 'HEAD']) {
    const res = await send(ctx, method, path, path.includes('/manifests/'));
    expectThat(res.status === 404, `${method} of ${what}: 404`, `status ${res.status}`, res);
  }
}

/**
 * A row of the "DELETE of nothing" family: DELETE of `path` must answer 404. A 400 or 405 says this
 * kind of deletion is disabled (a skip), unless a DELETE of that kind already worked in this run.
 */
interface DeleteNothingRow extends Omit<CaseDefinition, 'run'> {
  kind: DeleteKind;
  path(ctx: CaseContext): string;
  expected: string;
}

function deleteNothingCase(row: DeleteNothingRow): CaseDefinition {
  const { kind, path, expected, ...meta } = row;
  return {
    ...meta,
    async run(ctx) {
      const res = await send(ctx, 'DELETE', path(ctx));
      if ((res.status === 400 || res.status === 405) && ctx.state.get(`delete-${kind}`) !== 'enabled') skipDisabled(ctx, res, kind);
      expectThat(res.status === 404, `${expected}: 404`, `status ${res.status}`, res);
    },
  };
}

function readTags(body: unknown): string[] {
  const tags = (body as { tags?: unknown } | null)?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
}

async function tagsOf(ctx: CaseContext, repo: string): Promise<string[]> {
  const walk = await walkLinks(ctx.client, `/v2/${repo}/tags/list`, undefined, readTags, 40);
  return walk.items;
}

const cases: CaseDefinition[] = [
  {
    id: 'management.delete.tag',
    title: 'DELETE of a tag answers 202, after which GET and HEAD of the tag answer 404 and the tag list no longer has it.',
    requirements: [DELETE_TAG, NOT_FOUND_AFTER, CONTENT_MANAGEMENT],
    async run(ctx) {
      const m = uniqueArtifact();
      await pushImage(ctx, ctx.repo, m, 'del-tag');
      await tagImage(ctx, ctx.repo, m, 'del-tag-other');
      deleteOutcome(ctx, await send(ctx, 'DELETE', `/v2/${ctx.repo}/manifests/del-tag`), 'tag');
      await expectGone(ctx, `/v2/${ctx.repo}/manifests/del-tag`, 'the deleted tag');
      const tags = await tagsOf(ctx, ctx.repo);
      expectThat(!tags.includes('del-tag'), 'del-tag gone from the tag list', show(tags));
      // What happens to the manifest and its other tags is left to the registry: recorded only.
      const byDigest = await send(ctx, 'HEAD', `/v2/${ctx.repo}/manifests/${m.digest}`, true);
      ctx.observe('manifest-after-tag-delete', byDigest.status === 200 ? 'kept' : `HEAD ${byDigest.status}`);
      ctx.observe('other-tag-after-tag-delete', tags.includes('del-tag-other') ? 'kept' : 'gone');
    },
  },
  {
    id: 'management.delete.manifest',
    title: 'DELETE of a manifest by digest answers 202, after which GET and HEAD by digest and by its tag answer 404 and the tag list drops the tag.',
    requirements: [DELETE_MANIFEST, NOT_FOUND_AFTER, CONTENT_MANAGEMENT],
    async run(ctx) {
      const m = makeImage({ layerSizes: [128], annotations: nonce() });
      await pushImage(ctx, ctx.repo, m, 'del-manifest');
      deleteOutcome(ctx, await send(ctx, 'DELETE', `/v2/${ctx.repo}/manifests/${m.digest}`), 'manifest');
      await expectGone(ctx, `/v2/${ctx.repo}/manifests/${m.digest}`, 'the deleted manifest by digest');
      await expectGone(ctx, `/v2/${ctx.repo}/manifests/del-manifest`, 'a tag that pointed to the deleted manifest');
      // The repository keeps the setup's image, so its tag list still answers 200.
      const tags = await tagsOf(ctx, ctx.repo);
      expectThat(!tags.includes('del-manifest'), 'the tag of the deleted manifest gone from the tag list', show(tags));
    },
  },
  {
    id: 'management.delete.blob',
    title: 'DELETE of a blob answers 202, after which GET and HEAD of the blob answer 404.',
    requirements: [DELETE_BLOB, { ref: 'end-2', level: 'MUST', text: 'If the blob is not found in the repository, the response code MUST be 404' }, CONTENT_MANAGEMENT],
    async run(ctx) {
      const blob = await uploadBlobPostPut(ctx.client, ctx.repo, uniqueBytes(200));
      trackBlob(ctx, ctx.repo, blob.digest);
      deleteOutcome(ctx, await send(ctx, 'DELETE', `/v2/${ctx.repo}/blobs/${blob.digest}`), 'blob');
      await expectGone(ctx, `/v2/${ctx.repo}/blobs/${blob.digest}`, 'the deleted blob');
    },
  },
  deleteNothingCase({
    id: 'management.delete.blob-unknown',
    title: 'DELETE of a blob the repository does not have answers 404.',
    requirements: [DELETE_BLOB],
    kind: 'blob',
    path: (ctx) => `/v2/${ctx.repo}/blobs/${unknownDigest()}`,
    expected: 'DELETE of an unknown blob',
  }),
  deleteNothingCase({
    id: 'management.delete.manifest-unknown-repository',
    title: 'DELETE of a manifest in a repository that does not exist answers 404.',
    requirements: [{ ref: 'end-9', level: 'MUST', text: 'Deleting manifests: if the repository does not exist, the response MUST return 404 Not Found' }],
    kind: 'manifest',
    path: (ctx) => `/v2/${ctx.freshRepo('never-pushed')}/manifests/${unknownDigest()}`,
    expected: 'DELETE in a repository that does not exist',
  }),
];

export const managementSuite: Suite = {
  workflow: 'management',
  title: 'Content management (deletion)',
  async setup(ctx) {
    if (ctx.readOnly) return;
    // Something that stays, so the repository exists throughout.
    await pushImage(ctx, ctx.repo, makeImage({ layerSizes: [64] }), 'keep');
  },
  cases,
};

export default managementSuite;
