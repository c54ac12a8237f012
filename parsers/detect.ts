// File kind from the first bytes, never from the name or Content-Type.
import type { FileKind } from './types.js';

export type DetectedKind = FileKind | 'unknown';

/** How many leading bytes detection needs. */
export const DETECT_HEAD_BYTES = 4096;

const ZIP_MAGIC = [Buffer.from('PK\x03\x04', 'latin1'), Buffer.from('PK\x05\x06', 'latin1')];
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Text has no NUL and few control characters; anything else is binary and not ours to parse. */
function looksBinary(head: Buffer): boolean {
  let control = 0;
  for (const b of head) {
    if (b === 0) return true;
    if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) control++;
  }
  return control > head.length / 100;
}

/**
 * ZIP by its magic; SAE by an `EXTRACT|` first line; IIF by a `!` header row (possibly quoted) on the
 * first non-blank line; any other text is CSV (read by a profile); binary is unknown.
 */
export function detectKind(head: Buffer): DetectedKind {
  if (ZIP_MAGIC.some((m) => head.subarray(0, 4).equals(m))) return 'zip';
  const body = head.subarray(0, 3).equals(BOM) ? head.subarray(3) : head;
  if (body.length === 0) return 'unknown';
  if (looksBinary(body)) return 'unknown';
  const text = body.toString('latin1');
  if (text.startsWith('EXTRACT|')) return 'sae';
  const firstLine = text.replace(/^[\r\n\s]+/, '').split(/\r\n|\r|\n/, 1)[0] ?? '';
  if (/^"?!/.test(firstLine)) return 'iif';
  return 'csv';
}
