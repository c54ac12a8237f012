// Shared shapes of the parsers.

export type FileKind = 'zip' | 'sae' | 'iif' | 'csv';

/** What every row of one file (or ZIP entry) carries. */
export interface ParseContext {
  /** File name as delivered, or the ZIP entry name. */
  file: string;
  /** sha256 (hex) of the file's bytes. */
  fileSha256: string;
  /** Currency for rows whose file states none (IIF; CSV without a currency column): the batch's. */
  defaultCurrency?: string | null;
}
