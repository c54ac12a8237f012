// Amount text to exact decimals: the IIF conventions and the locale-driven CSV ones.
import { Money, PLAIN, amountLimitProblem, digitsLimitProblem, moneyOfUnits, unitsOf, type Units } from '../src/money.js';
import { ParseError } from './errors.js';

const GROUPED = /^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^\.\d+$/;

function malformed(text: string): ParseError {
  return new ParseError('amount', `malformed amount ${JSON.stringify(text)}`);
}

/** The amount, unless it is beyond what any Concur file may hold (23 integer digits, 8 decimal places). */
export function withinLimits(value: Money, text: string): Money {
  const problem = amountLimitProblem(value);
  if (problem) throw new ParseError('amount', `${problem}: ${JSON.stringify(text.trim())}`);
  return value;
}

/**
 * IIF amounts as real files write them: `-1.00`, `--1.00`, `(1.00)`, `"1,776.23"`, padded with spaces.
 * Blank is null (not zero). A half-open parenthesis (`(1.00`, `1.00)`) is an error.
 */
export function parseIifAmount(text: string): Money | null {
  let t = text.trim();
  if (t.startsWith('"') || t.endsWith('"')) {
    if (t.length < 2 || !t.startsWith('"') || !t.endsWith('"')) throw malformed(text);
    t = t.slice(1, -1).trim();
  }
  if (t === '') return null;
  let negative = false;
  if (t.startsWith('(') || t.endsWith(')')) {
    if (!t.startsWith('(') || !t.endsWith(')')) throw malformed(text);
    t = t.slice(1, -1).trim();
    negative = true;
  } else {
    const sign = /^(--|[+-])?/.exec(t)?.[0] ?? '';
    negative = sign.startsWith('-');
    t = t.slice(sign.length).trim();
  }
  if (!GROUPED.test(t)) throw malformed(text);
  const value = withinLimits(new Money(t.replaceAll(',', '')), text);
  return negative ? value.negated() : value;
}

export type DecimalSeparator = '.' | ',';
export type ThousandsSeparator = '' | ',' | '.' | ' ' | "'";

const SPACES = /[ \u00a0\u202f]/g;
const GROUP_SEPARATORS = { ',': /,/g, '.': /\./g, "'": /'/g, ' ': SPACES } as const;

/** A locale-formatted amount (`1.234,56`, `-12.50`, `(3,00)`) in exact units (src/money.ts), without a Decimal; blank is null. */
export function parseLocaleUnits(text: string, decimal: DecimalSeparator, thousands: ThousandsSeparator): Units | null {
  let t = text.trim();
  if (t === '') return null;
  let negative = false;
  if (t.startsWith('(') && t.endsWith(')')) {
    negative = true;
    t = t.slice(1, -1).trim();
  } else if (t.startsWith('-') || t.startsWith('+')) {
    negative = t.startsWith('-');
    t = t.slice(1).trim();
  } else if (t.endsWith('-')) {
    negative = true; // trailing minus, as some ERP exports write credits
    t = t.slice(0, -1).trim();
  }
  const [intPart = '', fracPart, extra] = t.split(decimal);
  if (extra !== undefined) throw malformed(text);
  let digits = intPart;
  if (thousands !== '') {
    const groups = intPart.split(GROUP_SEPARATORS[thousands]);
    if (groups.length > 1 && !groups.every((g, i) => (i === 0 ? /^\d{1,3}$/ : /^\d{3}$/).test(g))) throw malformed(text);
    digits = groups.join('');
  }
  const plain = fracPart === undefined ? digits : `${digits}.${fracPart}`;
  if (!/^\d*(\.\d+)?$/.test(plain) || !/\d/.test(plain)) throw malformed(text);
  return unitsWithin(negative, digits, fracPart ?? '', text);
}

/** Units of an amount's digits, unless beyond what any Concur file may hold: the limits withinLimits applies to a Money. */
function unitsWithin(negative: boolean, digits: string, fraction: string, text: string): Units {
  const integer = digits.replace(/^0+/, '');
  const places = fraction.replace(/0+$/, '');
  const problem = digitsLimitProblem(integer.length, places.length);
  if (problem) throw new ParseError('amount', `${problem}: ${JSON.stringify(text.trim())}`);
  return unitsOf(negative, integer, places);
}

/**
 * A plain decimal amount, as parseMoney reads it (`-12.50`, `+3`, `.5`, padded with spaces), in exact units without a
 * Decimal: null when it is not one, a ParseError when beyond the limits (the same text as withinLimits).
 */
export function parsePlainUnits(text: string): Units | null {
  const m = PLAIN.exec(text.trim());
  if (m === null) return null;
  return unitsWithin(m[1] === '-', m[2] ?? '', m[3] ?? m[4] ?? '', text);
}

/** The same amount as a Money: the form the locale rules are tested in (test/parsers/amount-date.test.ts). */
export function parseLocaleAmount(text: string, decimal: DecimalSeparator, thousands: ThousandsSeparator): Money | null {
  const units = parseLocaleUnits(text, decimal, thousands);
  return units === null ? null : moneyOfUnits(units);
}
