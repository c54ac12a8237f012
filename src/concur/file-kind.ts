// Which kind of batch file arrived, decided by its first bytes; the Content-Type only breaks a tie.

export type BatchFileKind = 'zip' | 'sae' | 'iif' | 'csv';

/** Bytes enough to decide. */
export const KIND_SNIFF_BYTES = 16;

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const ZIP_MAGICS = ['PK\x03\x04', 'PK\x05\x06', 'PK\x07\x08'].map((m) => Buffer.from(m, 'latin1'));

/**
 * ZIP by its magic (also the empty and spanned forms), SAE by its `EXTRACT|` header, QuickBooks IIF by its
 * `!` header rows; anything else is a customer-defined CSV. Only an empty body leaves the choice to the Content-Type.
 */
export function detectFileKind(head: Buffer, contentType: string | null): BatchFileKind {
  if (head.length === 0) return /zip/i.test(contentType ?? '') ? 'zip' : 'csv';
  if (ZIP_MAGICS.some((m) => head.subarray(0, m.length).equals(m))) return 'zip';
  const text = (head.subarray(0, 3).equals(UTF8_BOM) ? head.subarray(3) : head).toString('latin1').trimStart();
  if (text.startsWith('EXTRACT|')) return 'sae';
  if (text.startsWith('!')) return 'iif';
  return 'csv';
}

/** True when the Content-Type names another kind than the bytes show (worth a warning, not a failure). */
export function contentTypeDisagrees(kind: BatchFileKind, contentType: string | null): boolean {
  if (!contentType) return false;
  const saysZip = /zip/i.test(contentType);
  return saysZip !== (kind === 'zip');
}
