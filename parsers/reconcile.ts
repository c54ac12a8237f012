// Reconciliation of parsed totals against the batch list and the file's own header: a pure decision input.
import { z } from 'zod';
import { Money, ZERO, moneyText } from '../src/money.js';
import type { HeaderTotals } from './tally.js';

/** What the pipeline does with a mismatch (it applies the policy; reconcile() only reports). */
export const ReconcilePolicySchema = z.enum(['quarantine', 'load-and-flag']);
export type ReconcilePolicy = z.infer<typeof ReconcilePolicySchema>;

/** The batch list's BatchTotal and Currency. */
export interface ExpectedTotal {
  currency: string;
  total: string;
}

/** One parsed file or ZIP entry. */
export interface PartTotals {
  name: string;
  /** Parsed totals per currency ('' = unknown currency). */
  totals: ReadonlyMap<string, Money> | Readonly<Record<string, string>>;
  header: HeaderTotals | null;
}

export interface ReconcileCheck {
  source: 'batch-list' | 'file-header';
  file: string;
  /** null for the SAE header total, which spans all currencies. */
  currency: string | null;
  expected: string;
  actual: string;
  /** actual - expected */
  difference: string;
  ok: boolean;
}

export interface Reconciliation {
  status: 'reconciled' | 'mismatch';
  checks: ReconcileCheck[];
  mismatches: ReconcileCheck[];
}

function asMap(t: PartTotals['totals']): Map<string, Money> {
  return t instanceof Map ? new Map(t) : new Map(Object.entries(t).map(([c, v]) => [c, new Money(v)]));
}

function check(source: ReconcileCheck['source'], file: string, currency: string | null, expected: Money, actual: Money): ReconcileCheck {
  const difference = actual.minus(expected);
  return { source, file, currency, expected: moneyText(expected), actual: moneyText(actual), difference: moneyText(difference), ok: difference.isZero() };
}

/**
 * Every part is checked on its own against the batch list (each currency the list or the part
 * names: money in a currency the list does not mention is a mismatch), and against its header total
 * when it has one. Parts of a QuickBooks bundle (IIF and GL CSV) must each match the batch.
 */
export function reconcile(input: { batch: readonly ExpectedTotal[] | null; parts: readonly PartTotals[] }): Reconciliation {
  const checks: ReconcileCheck[] = [];
  const expected = new Map<string, Money>();
  for (const e of input.batch ?? []) expected.set(e.currency, (expected.get(e.currency) ?? ZERO).plus(e.total));
  for (const part of input.parts) {
    const actual = asMap(part.totals);
    if (input.batch) {
      const currencies = [...new Set([...expected.keys(), ...actual.keys()])].sort();
      for (const c of currencies) checks.push(check('batch-list', part.name, c, expected.get(c) ?? ZERO, actual.get(c) ?? ZERO));
    }
    if (part.header) {
      const sum = [...actual.values()].reduce((s, v) => s.plus(v), ZERO);
      checks.push(check('file-header', part.name, null, new Money(part.header.total), sum));
    }
  }
  const mismatches = checks.filter((c) => !c.ok);
  return { status: mismatches.length ? 'mismatch' : 'reconciled', checks, mismatches };
}
