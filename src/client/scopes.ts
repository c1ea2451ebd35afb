// Which token scopes a registry request needs (distribution-auth-scope.md), derived from method and path.

/** Repository name of a /v2/<name>/<kind>/... path, or null for /v2/ and /v2/_catalog. */
export function repositoryOf(path: string): string | null {
  const m = /^\/v2\/(.+?)\/(blobs|manifests|tags|referrers)\//.exec(path);
  return m ? m[1]! : null;
}

export function scopesFor(method: string, path: string, query?: Record<string, string | number | undefined>): string[] {
  if (path.startsWith('/v2/_catalog')) return ['registry:catalog:*'];
  const repo = repositoryOf(path);
  if (!repo) return [];
  const m = method.toUpperCase();
  const actions = m === 'GET' || m === 'HEAD' ? 'pull' : m === 'DELETE' ? 'delete' : 'pull,push';
  const scopes = [`repository:${repo}:${actions}`];
  const from = query?.from;
  if (m === 'POST' && typeof from === 'string' && from !== repo) scopes.push(`repository:${from}:pull`);
  return scopes;
}
