// QI Tech request signatures: a compact JWS (ES512, raw r||s) over claims binding the exact body bytes,
// the method, the path and the time. Signing is ours; verification serves the sandbox and tests.
import { createHash, sign, verify, type KeyObject } from 'node:crypto';

export interface SignatureClaims {
  /** MD5 (hex) of the exact body bytes sent; of the empty string for a request without body. */
  payload_md5: string;
  /** UTC ISO 8601. */
  timestamp: string;
  method: string;
  /** Path with query. */
  uri: string;
}

const HEADER = Buffer.from(JSON.stringify({ alg: 'ES512', typ: 'JWT' })).toString('base64url');
/** ES512 signatures in JWS are r||s, 66 bytes each. */
const ES512_SIGNATURE_BYTES = 132;

export function md5Hex(body: Buffer | string): string {
  return createHash('md5').update(body).digest('hex');
}

export function claimsFor(method: string, uri: string, body: Buffer, now: Date): SignatureClaims {
  return { payload_md5: md5Hex(body), timestamp: now.toISOString(), method: method.toUpperCase(), uri };
}

export function signJwt(claims: SignatureClaims, privateKey: KeyObject): string {
  const input = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const signature = sign('sha512', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** The claims of a token whose ES512 signature `publicKey` verifies, else a reason. */
export function verifyJwt(token: string, publicKey: KeyObject): { ok: true; claims: SignatureClaims } | { ok: false; reason: string } {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'not a compact JWS' };
  const [header, payload, signature] = parts as [string, string, string];
  let alg: unknown;
  let claims: Partial<SignatureClaims>;
  try {
    alg = (JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Partial<SignatureClaims>;
  } catch {
    return { ok: false, reason: 'header or payload is not base64url JSON' };
  }
  if (alg !== 'ES512') return { ok: false, reason: `alg ${String(alg)} is not ES512` };
  const sig = Buffer.from(signature, 'base64url');
  if (sig.length !== ES512_SIGNATURE_BYTES) return { ok: false, reason: `signature has ${sig.length} bytes, ES512 needs ${ES512_SIGNATURE_BYTES} (r||s, not DER)` };
  if (!verify('sha512', Buffer.from(`${header}.${payload}`), { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig)) {
    return { ok: false, reason: 'signature does not verify' };
  }
  const fields = ['payload_md5', 'timestamp', 'method', 'uri'] as const;
  const missing = fields.filter((f) => typeof claims[f] !== 'string');
  if (missing.length) return { ok: false, reason: `claims lack ${missing.join(', ')}` };
  return { ok: true, claims: claims as SignatureClaims };
}
