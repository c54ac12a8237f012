// Comparing a presented secret with the configured one: as SHA-256 digests, so lengths are equal and the
// comparison takes constant time.
import { createHash, timingSafeEqual } from 'node:crypto';

export const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** A matcher for one configured secret; undefined (nothing presented) never matches. */
export function secretMatcher(secret: string): (given: string | undefined) => boolean {
  const expected = sha256(secret);
  return (given) => given !== undefined && timingSafeEqual(sha256(given), expected);
}
