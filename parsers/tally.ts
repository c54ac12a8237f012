// Running figures of one parsed file: rows, totals per currency, and what the file says of itself.
import { Money, ZERO, moneyOfUnits, type Units } from '../src/money.js';

/** Totals a file states about itself (the SAE EXTRACT header). */
export interface HeaderTotals {
  recordCount: number;
  total: string;
  batchId: string;
  batchDate: string | null;
}

/** A non-transaction IIF record (`!ACCNT`, `!VEND`, ...), kept as metadata. */
export interface IifListRecord {
  /** The record's own kind (first column), e.g. `VEND`. */
  kind: string;
  /** The header it was read under, e.g. `VTYPE` (real files put VEND rows under !VTYPE). */
  header: string;
  line: number;
  fields: Record<string, string>;
}

export const MAX_KEPT_LIST_RECORDS = 10_000;
/** And no more than this many bytes of their lines, so the records kept stay small whatever the lines. */
export const MAX_KEPT_LIST_BYTES = 4 * 1024 * 1024;

export interface FileTally {
  /** Transactions emitted. */
  rows: number;
  /** Sum of the rows that make up the payable total, per currency ('' = unknown). */
  totals: Map<string, Money>;
  /** Sum of the rows per account code ('' = none): an IIF's, to check a GL CSV against line for line. */
  accounts: Map<string, Money>;
  /** IIF transaction blocks read (each balanced). */
  blocks: number;
  header: HeaderTotals | null;
  /** The first list records (up to MAX_KEPT_LIST_RECORDS and MAX_KEPT_LIST_BYTES); listCount counts them all. */
  lists: IifListRecord[];
  listBytes: number;
  listCount: number;
}

export function newTally(): FileTally {
  return { rows: 0, totals: new Map(), accounts: new Map(), blocks: 0, header: null, lists: [], listBytes: 0, listCount: 0 };
}

export function addTotal(tally: FileTally, currency: string | null, amount: Money): void {
  const key = currency ?? '';
  tally.totals.set(key, (tally.totals.get(key) ?? ZERO).plus(amount));
}

/**
 * Row amounts summed in exact units per currency ('' = unknown) and added to a tally's totals at once: a Decimal sum
 * a row cost more than the row's parsing (BENCHMARKS.md, issue 18).
 */
export class UnitTotals {
  private readonly sums = new Map<string, Units>();

  constructor(private readonly tally: FileTally) {}

  add(currency: string | null, amount: Units): void {
    const key = currency ?? '';
    this.sums.set(key, (this.sums.get(key) ?? 0n) + amount);
  }

  /** Adds what was summed since the last flush to the tally's totals. */
  flush(): void {
    for (const [key, units] of this.sums) this.tally.totals.set(key, (this.tally.totals.get(key) ?? ZERO).plus(moneyOfUnits(units)));
    this.sums.clear();
  }
}

export function addAccountTotal(tally: FileTally, account: string | null, amount: Money): void {
  const key = account ?? '';
  tally.accounts.set(key, (tally.accounts.get(key) ?? ZERO).plus(amount));
}

export function addListRecord(tally: FileTally, record: IifListRecord, bytes: number): void {
  tally.listCount++;
  if (tally.lists.length >= MAX_KEPT_LIST_RECORDS || tally.listBytes + bytes > MAX_KEPT_LIST_BYTES) return;
  tally.lists.push(record);
  tally.listBytes += bytes;
}
