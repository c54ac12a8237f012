// Amounts in units (src/money.ts) against decimal.js: the same canonical text and the same exact sums.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLocaleUnits, parsePlainUnits, withinLimits } from '../../parsers/amount.js';
import { Money, ZERO, moneyOfUnits, moneyText, parseMoney, unitsText } from '../../src/money.js';

const amountText = fc
  .tuple(fc.boolean(), fc.stringMatching(/^[0-9]{0,23}$/), fc.stringMatching(/^[0-9]{0,8}$/))
  .filter(([, int, frac]) => /\d/.test(int + frac))
  .map(([negative, int, frac]) => `${negative ? '-' : ''}${int}${frac ? `.${frac}` : ''}`);

describe('amounts in units', () => {
  it('parse to the same value and canonical text as a Money, and sum exactly as Money does', () => {
    fc.assert(
      fc.property(fc.array(amountText, { minLength: 1, maxLength: 20 }), (texts) => {
        let units = 0n;
        let money = ZERO;
        for (const text of texts) {
          const u = parseLocaleUnits(text, '.', '')!;
          expect(unitsText(u)).toBe(moneyText(new Money(text)));
          units += u;
          money = money.plus(text);
        }
        expect(unitsText(units)).toBe(moneyText(money));
        expect(moneyOfUnits(units).eq(money)).toBe(true);
      }),
    );
  });

  it('formats the edges: zero, a negative fraction, the largest amount', () => {
    expect([0n, -50_000_000n, 1n, -100_000_000n].map(unitsText)).toEqual(['0', '-0.5', '0.00000001', '-1']);
    const largest = `${'9'.repeat(23)}.${'9'.repeat(8)}`;
    expect(unitsText(parseLocaleUnits(largest, '.', '')!)).toBe(largest);
  });
});

/** What a plain amount's text gives: its canonical text, null when it is not an amount, or the error's message. */
function outcome(parse: () => string | null): { text: string | null } | { error: string } {
  try {
    return { text: parse() };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

// Near-amounts: signs, padding, leading and trailing zeros, a bare or doubled point, too many digits, stray characters.
const plainish = fc
  .tuple(
    fc.constantFrom('', ' ', '\t'),
    fc.constantFrom('', '-', '+', '--', '+-'),
    fc.oneof(fc.stringMatching(/^[0-9]{0,26}$/), fc.stringMatching(/^0{0,30}[0-9]{0,3}$/)),
    fc.constantFrom('', '.', '..', ','),
    fc.oneof(fc.stringMatching(/^[0-9]{0,11}$/), fc.stringMatching(/^[0-9]{0,3}0{0,12}$/)),
    fc.constantFrom('', ' ', 'e3', 'x'),
  )
  .map((parts) => parts.join(''));

describe('plain amounts in units', () => {
  it('accept, refuse and print exactly as parseMoney, withinLimits and moneyText do', () => {
    fc.assert(
      fc.property(plainish, (text) => {
        const viaUnits = outcome(() => {
          const u = parsePlainUnits(text);
          return u === null ? null : unitsText(u);
        });
        const viaMoney = outcome(() => {
          const m = parseMoney(text);
          return m === null ? null : moneyText(withinLimits(m, text));
        });
        expect(viaUnits).toEqual(viaMoney);
      }),
      { numRuns: 2000 },
    );
  });

  it('print the edges as moneyText does', () => {
    const texts = ['-0.00', '0.50', '+3', '.5', '5.', '-.0', ' 007.100 ', `${'0'.repeat(30)}1.${'9'.repeat(8)}000`];
    expect(texts.map((t) => unitsText(parsePlainUnits(t)!))).toEqual(texts.map((t) => moneyText(parseMoney(t)!)));
    expect(texts.map((t) => unitsText(parsePlainUnits(t)!))).toEqual(['0', '0.5', '3', '0.5', '5', '0', '7.1', '1.99999999']);
    expect(() => parsePlainUnits(`${'1'.repeat(24)}`)).toThrow('24 integer digits');
    expect(() => parsePlainUnits('0.000000001')).toThrow('9 decimal places');
    expect(['', '.', '1e3', '1,5', '--1'].map(parsePlainUnits)).toEqual([null, null, null, null, null]);
  });
});
