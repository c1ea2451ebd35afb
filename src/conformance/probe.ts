// The reachability probe before a run: GET /v2/ must answer 200 (end-1), else the run cannot be done
// and the user gets one line saying what to do (exit 2 in the CLI).
import type { RegistryClient } from '../client/registry-client.js';
import { TransportError } from '../client/errors.js';
import { AuthError } from '../auth/errors.js';

/** The target cannot be tested; `message` is one line a user can act on. */
export class TargetUnusableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetUnusableError';
  }
}

/** Response headers that say what the target is; recorded in the report. */
const SERVER_HEADERS = ['server', 'docker-distribution-api-version', 'via', 'x-powered-by', 'x-jfrog-version', 'x-harbor-version', 'www-authenticate'];

export interface ProbeResult {
  serverHeaders: Record<string, string>;
}

export async function probeTarget(client: RegistryClient, hasCredentials: boolean, timeoutMs?: number): Promise<ProbeResult> {
  let res;
  try {
    res = await client.request({ method: 'GET', path: '/v2/', ...(timeoutMs ? { timeoutMs } : {}) });
  } catch (err) {
    if (err instanceof TransportError || err instanceof AuthError) throw new TargetUnusableError(oneLine(err.message));
    throw err;
  }
  const serverHeaders: Record<string, string> = {};
  for (const h of SERVER_HEADERS) if (res.headers[h] !== undefined) serverHeaders[h] = oneLine(res.headers[h]!);
  await res.dump();
  const where = `GET ${client.resolve('/v2/').toString()}`;
  if (res.status === 200) return { serverHeaders };
  if (res.status === 401) {
    const challenge = res.header('www-authenticate');
    const scheme = challenge ? ` (it asks for ${oneLine(challenge).split(/[\s,]/)[0]})` : '';
    throw new TargetUnusableError(
      hasCredentials
        ? `${where} answered 401 with the credentials given${scheme}: check --username/--password (or REGPROBE_USERNAME/REGPROBE_PASSWORD)`
        : `${where} answered 401: the registry needs credentials${scheme}; pass --username/--password or set REGPROBE_USERNAME/REGPROBE_PASSWORD`,
    );
  }
  if (res.status === 403) throw new TargetUnusableError(`${where} answered 403: these credentials may not use this registry`);
  if (res.status === 404) {
    throw new TargetUnusableError(`${where} answered 404: no OCI distribution API at this URL (give the registry's base URL, without /v2)`);
  }
  throw new TargetUnusableError(`${where} answered ${res.status}, not 200: the registry is not usable for a conformance run`);
}

export function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
