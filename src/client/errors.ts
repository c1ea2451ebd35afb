// Typed transport errors: what went wrong between us and the registry, in one line a user can act on.

export type TransportErrorCode =
  | 'CONNECTION_REFUSED'
  | 'DNS'
  | 'TIMEOUT'
  | 'RESET'
  | 'TLS'
  | 'PROTOCOL'
  | 'ABORTED'
  | 'OTHER';

export class TransportError extends Error {
  readonly code: TransportErrorCode;
  readonly method: string;
  readonly url: string;
  constructor(code: TransportErrorCode, method: string, url: string, detail: string, options?: { cause?: unknown }) {
    super(`${method} ${url}: ${describe(code)} (${detail})`, options);
    this.name = 'TransportError';
    this.code = code;
    this.method = method;
    this.url = url;
  }
}

function describe(code: TransportErrorCode): string {
  switch (code) {
    case 'CONNECTION_REFUSED': return 'connection refused: is the registry running at this address?';
    case 'DNS': return 'host name not found';
    case 'TIMEOUT': return 'timed out waiting for the registry';
    case 'RESET': return 'connection reset or closed by the registry';
    case 'TLS': return 'TLS failure: use --ca-file to trust its certificate, or --insecure to skip verification';
    case 'PROTOCOL': return 'the registry did not answer valid HTTP';
    case 'ABORTED': return 'request aborted';
    default: return 'request failed';
  }
}

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO',
]);

/** Maps an undici / Node network error to a TransportError. */
export function toTransportError(err: unknown, method: string, url: string): TransportError {
  if (err instanceof TransportError) return err;
  const e = err as { code?: string; message?: string; name?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  const msg = e?.cause?.message ?? e?.message ?? String(err);
  let kind: TransportErrorCode = 'OTHER';
  if (code === 'ECONNREFUSED') kind = 'CONNECTION_REFUSED';
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') kind = 'DNS';
  else if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') kind = 'TIMEOUT';
  else if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_CLOSED') kind = 'RESET';
  else if (TLS_CODES.has(code) || /certificate|SSL|TLS/i.test(msg)) kind = 'TLS';
  // undici's HTTPParserError often carries no code: its name is what says "not HTTP".
  else if (code.startsWith('HPE_') || code === 'UND_ERR_INFO' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' || e?.name === 'HTTPParserError' || (e?.cause as { name?: string })?.name === 'HTTPParserError') kind = 'PROTOCOL';
  else if (code === 'UND_ERR_ABORTED' || e?.name === 'AbortError') kind = 'ABORTED';
  return new TransportError(kind, method, url, code ? `${code}: ${msg}` : msg, { cause: err });
}
