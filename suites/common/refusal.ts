// A refusal where the spec asks for a 4XX (400 where it names one): the status is recorded and the
// error body checked, the same way wherever a suite provokes one.
import type { CaseContext, RegistryResponse } from '../../src/conformance/model.js';
import { expectThat } from '../../src/conformance/expect.js';
import type { ErrorCode } from '../../src/oci/errors.js';
import { checkErrorBody } from './error-body.js';

/** Any 4XX (else a failure saying `expected`), recorded as the `status` observation; then checkErrorBody for `codes`. */
export async function expectClientError(
  ctx: CaseContext,
  res: RegistryResponse,
  expected: string,
  codes: readonly ErrorCode[],
  opts?: Parameters<typeof checkErrorBody>[3],
): Promise<void> {
  expectThat(res.status >= 400 && res.status < 500, expected, `status ${res.status}`, res);
  ctx.observe('status', res.status);
  await checkErrorBody(ctx, res, codes, opts);
}
