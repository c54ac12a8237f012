// The normalized journal of one batch as lines: the stored transactions, and (balanced) one payable line per report
// and currency that brings the report to zero. Pure; amounts stay exact decimal text.
import { Money, moneyText, ZERO } from '../../src/money.js';
import type { SourceRef, Transaction } from '../../src/model/transaction.js';

/** One stored transaction as the export reads it (the store's `loadJournal`). */
export type StoredRow = Omit<Transaction, keyof SourceRef | 'sourceBatchId' | 'rowKey'>;

/** The batch the journal belongs to, and what the database says it holds. */
export interface StoredJournal {
  company: string;
  concurBatchId: string;
  batchName: string;
  closeDate: Date;
  /** The batch's currency (Concur batches have one), null when unknown. */
  currency: string | null;
  rows: StoredRow[];
  /** Currency ('' = unknown) -> exact sum, from the database. */
  totals: Record<string, string>;
}

export const JOURNAL_FIELDS = [
  'company',
  'batchId',
  'batchName',
  'closeDate',
  'lineType',
  'employeeId',
  'employeeName',
  'reportId',
  'reportKey',
  'reportName',
  'entryId',
  'journalKey',
  'transactionDate',
  'expenseType',
  'description',
  'vendor',
  'accountCode',
  'debitCredit',
  'amount',
  'currency',
  'paymentType',
] as const;
export type JournalField = (typeof JOURNAL_FIELDS)[number];

/** Fields holding a date (formatted with the format's dateFormat) and the amount (decimal separator). */
export const DATE_FIELDS: ReadonlySet<string> = new Set(['closeDate', 'transactionDate']);

export interface JournalLine extends Omit<StoredRow, 'raw'> {
  company: string;
  batchId: string;
  batchName: string;
  /** ISO date (UTC) of the batch close. */
  closeDate: string;
  /** `expense`: a stored transaction; `payable`: the balancing line of a report. */
  lineType: 'expense' | 'payable';
  raw: Record<string, string>;
}

export interface PayableSettings {
  account: string;
  byEmployee: Record<string, string>;
}

export const payableAccountOf = (p: PayableSettings, employeeId: string | null): string => (employeeId !== null ? p.byEmployee[employeeId] : undefined) ?? p.account;

/** The journal's lines in the stored order; with `payable`, each report+currency group ends with its payable line. */
export function journalLines(j: StoredJournal, payable: PayableSettings | null): JournalLine[] {
  const batch = { company: j.company, batchId: j.concurBatchId, batchName: j.batchName, closeDate: j.closeDate.toISOString().slice(0, 10) };
  const lines: JournalLine[] = [];
  let group = null as { key: string; first: StoredRow; sum: Money } | null;
  const close = () => {
    if (!payable || !group) return;
    const { first, sum } = group;
    const amount = sum.negated();
    lines.push({
      ...batch,
      lineType: 'payable',
      employeeId: first.employeeId,
      employeeName: first.employeeName,
      reportId: first.reportId,
      reportKey: first.reportKey,
      reportName: first.reportName,
      entryId: null,
      journalKey: null,
      transactionDate: null,
      expenseType: null,
      description: `Payable ${first.employeeName ?? first.employeeId ?? ''}`.trim(),
      vendor: null,
      accountCode: payableAccountOf(payable, first.employeeId),
      debitCredit: amount.isZero() ? null : amount.isNegative() ? 'CR' : 'DR',
      amount: moneyText(amount.isZero() ? ZERO : amount),
      currency: first.currency,
      paymentType: first.paymentType,
      raw: {},
    });
  };
  for (const row of j.rows) {
    const key = JSON.stringify([row.reportId ?? '', row.reportId === null ? (row.employeeId ?? '') : '', row.currency ?? '']);
    if (group?.key !== key) {
      close();
      group = { key, first: row, sum: ZERO };
    }
    group.sum = group.sum.plus(row.amount);
    lines.push({ ...batch, ...row, lineType: 'expense' });
  }
  close();
  return lines;
}

/** Sums per currency ('' = unknown) of the expense lines and of all lines, for the checks before upload. */
export function lineTotals(lines: readonly Pick<JournalLine, 'amount' | 'currency' | 'lineType'>[]): { expense: Map<string, Money>; all: Map<string, Money> } {
  const expense = new Map<string, Money>();
  const all = new Map<string, Money>();
  for (const l of lines) {
    const key = l.currency ?? '';
    all.set(key, (all.get(key) ?? ZERO).plus(l.amount));
    if (l.lineType === 'expense') expense.set(key, (expense.get(key) ?? ZERO).plus(l.amount));
  }
  return { expense, all };
}

/** A rendered journal file, with each line's amount as the file states it (for the totals check). */
export interface Rendered {
  bytes: Buffer;
  /** Each line's amount as the file states it (decimal point). */
  written: Array<{ currency: string; amount: string; lineType: JournalLine['lineType'] }>;
}
