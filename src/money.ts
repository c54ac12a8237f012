// Exact decimal money. Every amount in erp-sync is a Decimal or its canonical string, never a JS number.
import { Decimal } from 'decimal.js';

/** The largest amounts any Concur file may hold (the SAE's documented maximum): refused beyond this. */
export const MAX_INTEGER_DIGITS = 23;
export const MAX_DECIMAL_PLACES = 8;

// An amount has at most 23 + 8 = 31 significant digits; a sum of n of them at most 31 + log10(n). 100 digits leave
// room for 10^69 rows, so no total can ever round.
export const Money = Decimal.clone({ precision: 100, rounding: Decimal.ROUND_HALF_EVEN });
export type Money = Decimal;

export const ZERO: Money = new Money(0);

/** A plain decimal: sign, then integer digits with optional decimal places, or decimal places alone (groups: sign, digits, places, places). */
export const PLAIN = /^([+-]?)(?:(\d+)(?:\.(\d*))?|\.(\d+))$/;

/** Parses a plain decimal string ("-12.50", "3", ".5"); anything else is null. */
export function parseMoney(text: string): Money | null {
  const t = text.trim();
  return PLAIN.test(t) ? new Money(t) : null;
}

/** Why an amount of so many integer digits and decimal places (neither counting zeros that pad it) is beyond the limits, or null. */
export function digitsLimitProblem(integerDigits: number, decimalPlaces: number): string | null {
  if (integerDigits > MAX_INTEGER_DIGITS) return `amount has ${integerDigits} integer digits, more than the ${MAX_INTEGER_DIGITS} allowed`;
  if (decimalPlaces > MAX_DECIMAL_PLACES) return `amount has ${decimalPlaces} decimal places, more than the ${MAX_DECIMAL_PLACES} allowed`;
  return null;
}

/** Why an amount is beyond the limits (more than 23 integer digits or 8 decimal places), or null when it is within. */
export function amountLimitProblem(value: Money): string | null {
  return digitsLimitProblem(value.abs().trunc().toFixed().replace(/^0$/, '').length, value.decimalPlaces());
}

/**
 * An amount as a whole number of units of 10^-8 (MAX_DECIMAL_PLACES, the finest any file may hold): exact like a Money,
 * for a hot path where a Decimal per row and per sum costs more than the parsing (the CSV parser; BENCHMARKS.md).
 */
export type Units = bigint;
const SCALE = MAX_DECIMAL_PLACES;

/** An amount's units from its digits: the integer part and the decimal places (at most MAX_DECIMAL_PLACES). */
export function unitsOf(negative: boolean, integer: string, places: string): Units {
  const units = BigInt(integer + places.padEnd(SCALE, '0'));
  return negative ? -units : units;
}

/** Canonical text of units, as moneyText gives it for the same value. */
export function unitsText(units: Units): string {
  const digits = (units < 0n ? -units : units).toString().padStart(SCALE + 1, '0');
  const places = digits.slice(-SCALE).replace(/0+$/, '');
  return `${units < 0n ? '-' : ''}${digits.slice(0, -SCALE)}${places ? `.${places}` : ''}`;
}

export function moneyOfUnits(units: Units): Money {
  return new Money(unitsText(units));
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
