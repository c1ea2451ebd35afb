// Digest arguments of requests: one check, one error shape.
import { checkDigest } from '../../src/oci/digest.js';
import { RegistryError } from './errors.js';

/** The value as a digest we can serve, or 400 DIGEST_INVALID saying why not. */
export function requireDigest(value: string | null | undefined, what = 'digest'): string {
  if (value === null || value === undefined || value === '') {
    throw new RegistryError(400, 'DIGEST_INVALID', `${what} is required`);
  }
  const c = checkDigest(value);
  if (c.ok) return value;
  const message =
    c.reason === 'unsupported-algorithm'
      ? `unsupported digest algorithm in ${what} (supported: sha256, sha512)`
      : `${what} is not a valid digest (algorithm:hex, e.g. sha256:<64 lower-case hex>)`;
  throw new RegistryError(400, 'DIGEST_INVALID', message, { digest: value });
}
