// end-12a/12b: GET /v2/<name>/referrers/<digest>[?artifactType=]: an OCI index built from memory.
// Lists longer than config.referrersPageSize come in pages: each page names the next one in a
// `Link: <...>; rel="next"` header (draft: "A Link header MUST be included in the response when the
// descriptor list cannot be returned in a single manifest"). Pages are in digest order and the link
// carries the last digest served, so a referrer added or deleted between pages moves no other one.
import { MediaType } from '../../src/oci/media-types.js';
import { sendBody, type HandlerContext } from './context.js';
import { requireDigest } from './digests.js';

/** Default page size: a page of this many descriptors stays far below the 4 MiB manifest limit. */
export const DEFAULT_REFERRERS_PAGE_SIZE = 1000;

export async function getReferrers(ctx: HandlerContext): Promise<void> {
  const digest = requireDigest(ctx.ref);
  let records = [...ctx.storage.referrers(ctx.name, digest)].sort((a, b) => (a.digest < b.digest ? -1 : a.digest > b.digest ? 1 : 0));
  const headers: Record<string, string> = { 'Content-Type': MediaType.ociIndex };
  const wanted = ctx.query.getAll('artifactType').filter((t) => t !== '');
  if (wanted.length > 0) {
    records = records.filter((r) => r.artifactType !== undefined && wanted.includes(r.artifactType));
    headers['OCI-Filters-Applied'] = 'artifactType';
  }
  const last = ctx.query.get('last');
  if (last) records = records.filter((r) => r.digest > last);
  const size = ctx.config.referrersPageSize ?? DEFAULT_REFERRERS_PAGE_SIZE;
  const page = records.slice(0, size);
  if (records.length > page.length) {
    const next = new URLSearchParams();
    for (const t of wanted) next.append('artifactType', t);
    next.set('last', page[page.length - 1]!.digest);
    headers.Link = `</v2/${ctx.name}/referrers/${digest}?${next.toString()}>; rel="next"`;
  }
  const manifests = page.map((r) => ({
    mediaType: r.contentType,
    digest: r.digest,
    size: r.size,
    ...(r.artifactType !== undefined ? { artifactType: r.artifactType } : {}),
    ...(r.annotations !== undefined ? { annotations: r.annotations } : {}),
  }));
  sendBody(ctx, 200, headers, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
}
