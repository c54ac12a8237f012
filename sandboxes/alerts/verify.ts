// A receiver's check of the generic webhook's signature, written from the README's description alone (not with the
// code that signs): `X-Erp-Sync-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-erp-sync-signature';
/** How far a signature's timestamp may be from the receiver's clock (refuses a recorded request sent again). */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

/** True when `header` signs exactly `body` with `secret` at a time within the tolerance of `nowSeconds`. */
export function verifySignature(secret: string, body: string, header: string | undefined, nowSeconds: number, toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS): boolean {
  const m = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${m[1]}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'));
}
