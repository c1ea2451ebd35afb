// end-8a/8b: GET /v2/<name>/tags/list[?n=&last=].
import { sendJson, type HandlerContext } from './context.js';
import { RegistryError } from './errors.js';
import { paginate } from './pagination.js';

export async function getTags(ctx: HandlerContext): Promise<void> {
  if (!ctx.storage.hasRepository(ctx.name)) throw new RegistryError(404, 'NAME_UNKNOWN', undefined, { name: ctx.name });
  const page = paginate(ctx.storage.tags(ctx.name), ctx.query, `/v2/${ctx.name}/tags/list`);
  sendJson(ctx, 200, { name: ctx.name, tags: page.items }, page.link ? { Link: page.link } : {});
}
