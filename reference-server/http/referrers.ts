// end-12a/12b: GET /v2/<name>/referrers/<digest>[?artifactType=]: an OCI index built from memory.
import { MediaType } from '../../src/oci/media-types.js';
import { sendBody, type HandlerContext } from './context.js';
import { requireDigest } from './digests.js';

export async function getReferrers(ctx: HandlerContext): Promise<void> {
  const digest = requireDigest(ctx.ref);
  let records = ctx.storage.referrers(ctx.name, digest);
  const headers: Record<string, string> = { 'Content-Type': MediaType.ociIndex };
  const wanted = ctx.query.getAll('artifactType').filter((t) => t !== '');
  if (wanted.length > 0) {
    records = records.filter((r) => r.artifactType !== undefined && wanted.includes(r.artifactType));
    headers['OCI-Filters-Applied'] = 'artifactType';
  }
  const manifests = records.map((r) => ({
    mediaType: r.contentType,
    digest: r.digest,
    size: r.size,
    ...(r.artifactType !== undefined ? { artifactType: r.artifactType } : {}),
    ...(r.annotations !== undefined ? { annotations: r.annotations } : {}),
  }));
  sendBody(ctx, 200, headers, JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }));
}
