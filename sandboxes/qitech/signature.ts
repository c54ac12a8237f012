// The sandbox's own check of a request signature, written apart from the sink's signing code (sinks/qitech/jwt.ts)
// so that a fault there is caught here rather than repeated: jose verifies the ES512 JWS, node:crypto the body's MD5.
import { createHash, type KeyObject } from 'node:crypto';
import { compactVerify, errors } from 'jose';

const CLAIMS = ['payload_md5', 'timestamp', 'method', 'uri'] as const;
type Claims = Record<(typeof CLAIMS)[number], string>;

export interface SignedRequest {
  token: string;
  publicKey: KeyObject;
  method: string;
  url: string;
  body: Buffer;
  now: number;
  maxSkewMs: number;
}

/** The claims of a token that verifies, else why not. */
async function verifiedClaims(token: string, publicKey: KeyObject): Promise<Claims | string> {
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(token, publicKey, { algorithms: ['ES512'] }));
  } catch (e) {
    if (e instanceof errors.JWSSignatureVerificationFailed) return 'signature does not verify';
    if (e instanceof errors.JOSEAlgNotAllowed) return 'alg is not ES512';
    return `not a valid compact JWS (${(e as Error).message})`;
  }
  let claims: Partial<Record<string, unknown>>;
  try {
    claims = JSON.parse(Buffer.from(payload).toString('utf8')) as Partial<Record<string, unknown>>;
  } catch {
    return 'payload is not JSON';
  }
  const missing = CLAIMS.filter((c) => typeof claims[c] !== 'string');
  return missing.length ? `claims lack ${missing.join(', ')}` : (claims as Claims);
}

/** The reason a signed request is refused, or null when its signature binds this body, method, uri and time. */
export async function signatureProblem(r: SignedRequest): Promise<string | null> {
  const claims = await verifiedClaims(r.token, r.publicKey);
  if (typeof claims === 'string') return claims;
  if (claims.payload_md5 !== createHash('md5').update(r.body).digest('hex')) return 'payload_md5 does not match the body';
  if (claims.method !== r.method) return `method claim ${claims.method} is not ${r.method}`;
  if (claims.uri !== r.url) return `uri claim ${claims.uri} is not ${r.url}`;
  const at = Date.parse(claims.timestamp);
  if (Number.isNaN(at) || Math.abs(at - r.now) > r.maxSkewMs) return `timestamp ${claims.timestamp} is too far from now`;
  return null;
}
