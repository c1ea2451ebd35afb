// GET /v2/_catalog: repositories in ASCII order, paginated like tags/list.
import { sendJson, type HandlerContext } from './context.js';
import { paginate } from './pagination.js';

export async function getCatalog(ctx: HandlerContext): Promise<void> {
  const page = paginate(ctx.storage.repositories(), ctx.query, '/v2/_catalog');
  sendJson(ctx, 200, { repositories: page.items }, page.link ? { Link: page.link } : {});
}
