// The one normalized transaction every parser produces and the store loads.

/** Where a row came from inside a fetched batch file (a ZIP entry has its own name). */
export interface SourceRef {
  /** The file's logical name within the batch: the file name as delivered, or the ZIP entry name. */
  file: string;
  /** sha256 (hex) of the file or ZIP entry bytes. */
  fileSha256: string;
  /** 1-based physical line number in that file. */
  lineNumber: number;
}

export interface Transaction extends SourceRef {
  /** Batch id as the file states it (SAE header), else null. */
  sourceBatchId: string | null;
  employeeId: string | null;
  employeeName: string | null;
  reportId: string | null;
  reportKey: string | null;
  reportName: string | null;
  entryId: string | null;
  journalKey: string | null;
  /** ISO calendar date yyyy-mm-dd, or null when the file leaves it blank. */
  transactionDate: string | null;
  expenseType: string | null;
  description: string | null;
  vendor: string | null;
  accountCode: string | null;
  debitCredit: 'DR' | 'CR' | null;
  /** Exact decimal as canonical text (see src/money.ts); signed. */
  amount: string;
  currency: string | null;
  paymentType: string | null;
  /** Every raw field of the source line, by column name (or 1-based index when unnamed). */
  raw: Record<string, string>;
  /**
   * The source line itself, for a format whose fields are known by position (SAE): the database stores it instead
   * of `raw` (a tenth of the bytes of 400 names a row) and names its fields from the layout when read.
   */
  rawLine?: string;
  /**
   * A CSV record's fields in file order, for a format whose names come once per file: the database stores them
   * positionally and the file's header once (`rawNames`), and names them when read.
   */
  rawFields?: readonly string[];
  /**
   * The raw keys `rawFields` go by, from the header (each name trimmed, a blank one as its 1-based position; beyond
   * the header a field goes by its position): one array shared by the file's rows; null without a header row.
   */
  rawNames?: readonly string[] | null;
  /** The row's identity within its file (see rowKeyOf); `file` + `rowKey` is unique within a batch. */
  rowKey: string;
}

/**
 * The identity rule, in one place so every parser agrees: a line's place in the batch, never its business keys
 * (allocation splits and itemizations share report and entry ids). The journal key where the format has one
 * (SAE column 170), else the line number within the file.
 */
export function rowKeyOf(journalKey: string | null, lineNumber: number): string {
  return journalKey ? `jk:${journalKey}` : `ln:${lineNumber}`;
}
