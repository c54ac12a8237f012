// The generic webhook's signature: HMAC-SHA256 over "<unix seconds>.<exact body>", sent as
// `X-Erp-Sync-Signature: t=<unix seconds>,v1=<hex>`. The timestamp is signed too, so a receiver that refuses
// old timestamps (5 minutes) cannot be fed a recorded request again.
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-erp-sync-signature';

const mac = (secret: string, t: number, body: string) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

export function signature(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${mac(secret, unixSeconds, body)}`;
}
