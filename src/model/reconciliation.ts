// The one reconciliation shape: stored with the batch, shown by status and the views, written into manifests,
// counted in metrics. Computed by src/pipeline/reconcile.ts from the rows as stored.

/** `reconciled` only when every check holds; `not-checked` is what a manifest says of a batch without one. */
export type ReconciliationStatus = 'reconciled' | 'mismatch';
export type ShownReconciliationStatus = ReconciliationStatus | 'not-checked';

export type CheckKind =
  /** The batch's files yield at least one row. */
  | 'rows-present'
  /** Σ stored per currency = the batch list's BatchTotal (0 for any other currency). */
  | 'batch-total'
  /** At least the list's Count (payment demands) rows stored. */
  | 'batch-count'
  /** Rows stored from a file = the lines parsed from it. */
  | 'parsed-lines'
  /** The SAE EXTRACT header's record count and journal total = the rows stored from that file. */
  | 'file-header-count'
  | 'file-header-total'
  /** A file checked but not loaded (a bundle's IIF when its GL CSV is loaded): its totals = the BatchTotal. */
  | 'file-total'
  /** A loaded GL CSV against its bundle's IIF, line for line: as many lines, the same total per account. */
  | 'gl-vs-iif-lines'
  | 'gl-vs-iif-account';

export interface ReconcileCheck {
  check: CheckKind;
  /** The file (or ZIP entry) checked; null for batch-wide checks. */
  file: string | null;
  currency?: string;
  account?: string;
  expected: string;
  actual: string;
  /** actual − expected (exact decimal text; counts as integers). */
  difference: string;
  ok: boolean;
}

export interface Reconciliation {
  status: ReconciliationStatus;
  /** The rows as stored, and their totals per currency ('' = unknown): what the checks were computed from. */
  rows: number;
  totals: Record<string, string>;
  /** Each failed check by label (`check:file:currency`) → its difference. */
  difference: Record<string, string>;
  checks: ReconcileCheck[];
  /** What a person should know although nothing failed (a part kept but not loaded, and why). */
  warnings: string[];
}

export function checkLabel(c: Pick<ReconcileCheck, 'check' | 'file' | 'currency' | 'account'>): string {
  return [c.check, c.file, c.currency, c.account === undefined ? undefined : `account ${c.account || '(none)'}`].filter((p) => p !== null && p !== undefined).join(':');
}

/** The status a stored reconciliation (JSON) shows; anything else, or none, is `not-checked`. */
export function shownStatus(rec: { status?: unknown } | null | undefined): ShownReconciliationStatus {
  return rec?.status === 'reconciled' || rec?.status === 'mismatch' ? rec.status : 'not-checked';
}

/** Stored rows grouped by file, currency and account ('' = none): what the reconciliation reads of the stored rows
 * (src/store/load.ts computes them in SQL). */
export interface StoredGroup {
  file: string;
  currency: string;
  account: string;
  rows: number;
  total: string;
}

export interface StoredFigures {
  groups: StoredGroup[];
}
