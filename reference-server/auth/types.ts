// The seam between the reference server's HTTP layer and its auth modes (none, htpasswd, token).
// The router computes which access a request needs and asks the authorizer before any handler runs.
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One resource and the actions needed on it (distribution-auth-scope.md). */
export interface Access {
  type: 'repository' | 'registry';
  /** Repository name, or `catalog` for type registry. */
  name: string;
  /** pull, push, delete, or `*`. */
  actions: string[];
}

export type AuthDecision =
  | { ok: true; account?: string }
  | {
      ok: false;
      status: 401 | 403;
      code: 'UNAUTHORIZED' | 'DENIED';
      message: string;
      /** WWW-Authenticate value to send with a 401. */
      challenge?: string;
    };

export interface RequestAuthorizer {
  /** Decide for a request needing `access` (empty for `/v2/` itself, which needs a valid identity only). */
  authorize(req: IncomingMessage, access: Access[]): Promise<AuthDecision>;
  /**
   * Routes the auth mode serves itself on the same server (the token service at /token).
   * Returns true when it handled the request.
   */
  handle?(req: IncomingMessage, res: ServerResponse): Promise<boolean>;
}
