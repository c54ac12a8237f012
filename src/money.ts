// Exact decimal money. Every amount in erp-sync is a Decimal or its canonical string, never a JS number.
import { Decimal } from 'decimal.js';

// 23 integer digits + 8 decimals (the SAE maximum) fit comfortably in 40 significant digits.
export const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });
export type Money = Decimal;

export const ZERO: Money = new Money(0);

const PLAIN = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** Parses a plain decimal string ("-12.50", "3", ".5"); anything else is null. */
export function parseMoney(text: string): Money | null {
  const t = text.trim();
  return PLAIN.test(t) ? new Money(t) : null;
}

/** Canonical text form: no exponent, no trailing zeros beyond the value's own scale. */
export function moneyText(value: Money): string {
  return value.toFixed();
}

/** Sums amounts per currency; the key '' holds amounts whose currency is unknown. */
export function totalsByCurrency(items: Iterable<{ amount: string; currency: string | null }>): Map<string, Money> {
  const totals = new Map<string, Money>();
  for (const { amount, currency } of items) {
    const key = currency ?? '';
    totals.set(key, (totals.get(key) ?? ZERO).plus(amount));
  }
  return totals;
}
