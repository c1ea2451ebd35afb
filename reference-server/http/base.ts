// end-1: GET /v2/ - the registry speaks the distribution API.
import { sendJson, type HandlerContext } from './context.js';

export async function getBase(ctx: HandlerContext): Promise<void> {
  sendJson(ctx, 200, {});
}
