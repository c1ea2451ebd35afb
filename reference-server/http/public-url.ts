// Where clients reach this registry: the token realm and Location headers point there. Behind a
// proxy the server cannot know it, so it is configured (--public-url); without it, the Host header is
// used only when it is a plain host[:port], else the address the connection came in on. A Host
// header can therefore never inject anything into a realm or a Location.
import type { IncomingMessage } from 'node:http';

/** `scheme://host[:port]` of a public URL, or an Error saying what is wrong with it. */
export function normalizePublicUrl(text: string): string {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new Error(`${JSON.stringify(text)} is not a URL (expected e.g. https://registry.example.com)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${JSON.stringify(text)}: the scheme must be http or https`);
  if (u.username || u.password) throw new Error(`${JSON.stringify(text)}: no user or password in the public URL`);
  // The distribution API lives at /v2/ of the host: clients cannot reach a registry under a path.
  if ((u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) throw new Error(`${JSON.stringify(text)}: scheme, host and port only (clients find the API at /v2/ of the host)`);
  return u.origin;
}

const configured = new WeakMap<IncomingMessage, string>();

/** The router records the configured public URL for each request it receives. */
export function usePublicUrl(req: IncomingMessage, origin: string): void {
  configured.set(req, origin);
}

/** True when the server has a configured public URL for this request (Locations are then absolute). */
export function configuredOrigin(req: IncomingMessage): string | undefined {
  return configured.get(req);
}

const PLAIN_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$/;

/** `scheme://host[:port]` as this client reached us: the public URL, a plain Host, or the local address. */
export function requestOrigin(req: IncomingMessage): string {
  const fixed = configured.get(req);
  if (fixed) return fixed;
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  const host = req.headers.host;
  const port = host ? Number(/:(\d+)$/.exec(host)?.[1] ?? 0) : 0;
  const safe = host && host.length <= 261 && PLAIN_HOST.test(host) && port <= 65535 ? host : localAddress(req);
  return `${tls ? 'https' : 'http'}://${safe}`;
}

function localAddress(req: IncomingMessage): string {
  const a = req.socket.localAddress ?? '127.0.0.1';
  return `${a.includes(':') ? `[${a}]` : a}:${req.socket.localPort ?? 0}`;
}
