// Reconciliation as a pure decision: the rows as stored (or, for `erp-sync parse`, as they would be stored)
// against the batch list, each file's own figures and the number of lines parsed.
import { Money, ZERO, moneyText } from '../money.js';
import { checkLabel, type CheckKind, type ReconcileCheck, type Reconciliation, type StoredFigures, type StoredGroup } from '../model/reconciliation.js';
import type { Transaction } from '../model/transaction.js';
import type { BatchFilePart } from '../../parsers/batch-file.js';
import type { HeaderTotals } from '../../parsers/tally.js';

/** The batch list's figures: BatchTotal in Currency, and Count (payment demands). Null when unknown. */
export interface ListFigures {
  currency: string | null;
  total: string | null;
  count: number | null;
}

/** What a parsed part says of itself. */
export interface PartFigures {
  name: string;
  kind: 'csv' | 'iif' | 'sae';
  /** In a ZIP (a bundle). */
  entry: boolean;
  /** Its rows went into the transactions table. */
  loaded: boolean;
  parsedRows: number;
  totals: Record<string, string>;
  accounts: Record<string, string>;
  header: HeaderTotals | null;
}

const sum = (values: Iterable<string | Money>): Money => [...values].reduce<Money>((s, v) => s.plus(v), ZERO);
const plain = (m: Map<string, Money>): Record<string, string> => Object.fromEntries([...m].map(([k, v]) => [k, moneyText(v)]));

function sumBy(groups: readonly StoredGroup[], key: 'currency' | 'account' | 'file'): Map<string, Money> {
  const out = new Map<string, Money>();
  for (const g of groups) out.set(g[key], (out.get(g[key]) ?? ZERO).plus(g.total));
  return out;
}

function rowsOf(groups: readonly StoredGroup[]): number {
  return groups.reduce((n, g) => n + g.rows, 0);
}

function check(kind: CheckKind, file: string | null, expected: Money | number, actual: Money | number, extra: { currency?: string; account?: string } = {}): ReconcileCheck {
  const e = typeof expected === 'number' ? new Money(expected) : expected;
  const a = typeof actual === 'number' ? new Money(actual) : actual;
  const difference = a.minus(e);
  return { check: kind, file, ...extra, expected: moneyText(e), actual: moneyText(a), difference: moneyText(difference), ok: difference.isZero() };
}

/** Checks per currency of `actual` against the list's BatchTotal (money in any other currency is a mismatch). */
function againstList(kind: CheckKind, file: string | null, list: ListFigures, actual: Map<string, Money>): ReconcileCheck[] {
  if (list.total === null || list.currency === null) return [];
  const currencies = [...new Set([list.currency, ...actual.keys()])].sort();
  return currencies.map((c) => check(kind, file, c === list.currency ? new Money(list.total!) : ZERO, actual.get(c) ?? ZERO, { currency: c }));
}

export function reconcile(input: { list: ListFigures | null; stored: StoredFigures; parts: readonly PartFigures[]; warnings?: readonly string[] }): Reconciliation {
  const { list, stored, parts } = input;
  const rows = rowsOf(stored.groups);
  const totals = sumBy(stored.groups, 'currency');
  const checks: ReconcileCheck[] = [];

  // A batch whose files yield nothing is never reconciled, whatever else says so.
  checks.push({ check: 'rows-present', file: null, expected: 'at least 1', actual: String(rows), difference: rows > 0 ? '0' : '-1', ok: rows > 0 });
  if (list) {
    checks.push(...againstList('batch-total', null, list, totals));
    if (list.count !== null) {
      // Count is payment demands, each at least one line: fewer rows means a demand is missing. (Nothing says how
      // many lines a demand has, nor that report ids identify demands, so more rows prove nothing wrong.)
      const short = Math.min(0, rows - list.count);
      checks.push({ check: 'batch-count', file: null, expected: `at least ${list.count}`, actual: String(rows), difference: String(short), ok: short === 0 });
    }
  }

  for (const part of parts.filter((p) => p.loaded)) {
    const mine = stored.groups.filter((g) => g.file === part.name);
    checks.push(check('parsed-lines', part.name, part.parsedRows, rowsOf(mine)));
    if (part.header) {
      checks.push(check('file-header-count', part.name, part.header.recordCount, rowsOf(mine)));
      checks.push(check('file-header-total', part.name, new Money(part.header.total), sum(mine.map((g) => g.total))));
    }
  }

  const unloadedIifs = parts.filter((p) => !p.loaded && p.kind === 'iif');
  for (const iif of unloadedIifs) {
    if (list) checks.push(...againstList('file-total', iif.name, list, new Map(Object.entries(iif.totals).map(([c, v]) => [c, new Money(v)]))));
  }
  const loadedGl = parts.filter((p) => p.loaded && p.entry && p.kind === 'csv');
  if (unloadedIifs.length && loadedGl.length) {
    const glNames = new Set(loadedGl.map((p) => p.name));
    const gl = stored.groups.filter((g) => glNames.has(g.file));
    const file = loadedGl.map((p) => p.name).join('+');
    checks.push(check('gl-vs-iif-lines', file, unloadedIifs.reduce((n, p) => n + p.parsedRows, 0), rowsOf(gl)));
    const iifAccounts = new Map<string, Money>();
    for (const p of unloadedIifs) for (const [a, v] of Object.entries(p.accounts)) iifAccounts.set(a, (iifAccounts.get(a) ?? ZERO).plus(v));
    const glAccounts = sumBy(gl, 'account');
    for (const a of [...new Set([...iifAccounts.keys(), ...glAccounts.keys()])].sort()) {
      checks.push(check('gl-vs-iif-account', file, iifAccounts.get(a) ?? ZERO, glAccounts.get(a) ?? ZERO, { account: a }));
    }
  }

  const failed = checks.filter((c) => !c.ok);
  return {
    status: failed.length ? 'mismatch' : 'reconciled',
    rows,
    totals: plain(totals),
    difference: Object.fromEntries(failed.map((c) => [checkLabel(c), c.difference])),
    checks,
    warnings: [...(input.warnings ?? [])],
  };
}

/** The parts' own figures, once their rows have been consumed; `loaded` says which parts' rows were stored. */
export function partFigures(parts: readonly BatchFilePart[], loaded: (p: BatchFilePart) => boolean): PartFigures[] {
  return parts.flatMap((p) =>
    p.kind === 'unknown'
      ? []
      : [{ name: p.name, kind: p.kind, entry: p.container !== null, loaded: loaded(p), parsedRows: p.tally.rows, totals: plain(p.tally.totals), accounts: plain(p.tally.accounts), header: p.tally.header }],
  );
}

/** The figures the store would compute, from rows in hand (`erp-sync parse`, which stores nothing). */
export class FigureTally {
  private readonly groups = new Map<string, StoredGroup & { sum: Money }>();

  add(t: Transaction): void {
    const key = JSON.stringify([t.file, t.currency ?? '', t.accountCode ?? '']);
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = { file: t.file, currency: t.currency ?? '', account: t.accountCode ?? '', rows: 0, total: '0', sum: ZERO }));
    g.rows++;
    g.sum = g.sum.plus(t.amount);
  }

  figures(): StoredFigures {
    const groups = [...this.groups.values()].map(({ sum: s, ...g }) => ({ ...g, total: moneyText(s) }));
    return { groups };
  }
}
