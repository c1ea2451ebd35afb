// The answer when the storage itself failed (disk full, I/O error): 507 or 500 with an OCI error
// body that says so, instead of a bare "internal server error". Storage has already cleaned up, so
// the message can promise that nothing was stored. Code UNKNOWN, as distribution answers its
// storage errors (the spec's table has no code for a server-side failure).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { storageFailure, type StorageFailure } from '../storage/index.js';
import { prepareEarly } from './context.js';

export { storageFailure, type StorageFailure };

export function sendStorageFailure(req: IncomingMessage, res: ServerResponse, failure: StorageFailure): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = Buffer.from(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: failure.message, detail: { errno: failure.errno } }] }));
  // The request body may be half-read (a blob upload that hit a full disk): answer first, then drain.
  prepareEarly(req, res);
  res.writeHead(failure.status, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}
