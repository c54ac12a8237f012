// Amounts in units (src/money.ts) against decimal.js: the same canonical text and the same exact sums.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLocaleUnits } from '../../parsers/amount.js';
import { Money, ZERO, moneyOfUnits, moneyText, unitsText } from '../../src/money.js';

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
