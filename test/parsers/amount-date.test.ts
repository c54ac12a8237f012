import { describe, expect, it } from 'vitest';
import { parseIifAmount, parseLocaleAmount } from '../../parsers/amount.js';
import { parseDateWithFormat, parseIifDate } from '../../parsers/date.js';
import { ParseError } from '../../parsers/errors.js';

const iif = (t: string): string | null => parseIifAmount(t)?.toFixed() ?? null;

describe('IIF amounts', () => {
  it.each([
    ['--344.99', '-344.99'],
    ['-344.99', '-344.99'],
    ['(344.99)', '-344.99'],
    ['"1,776.23"', '1776.23'],
    ['-302,923.44', '-302923.44'],
    ['  47494.38 ', '47494.38'],
    ['75.00       ', '75'],
    ['20000', '20000'],
    ['-0.00', '0'],
    ['.5', '0.5'],
  ])('%s is %s', (text, value) => {
    expect(iif(text)).toBe(value);
  });

  it('blank is null, not zero', () => {
    expect(iif('')).toBeNull();
    expect(iif('   ')).toBeNull();
    expect(iif('""')).toBeNull();
  });

  it.each(['(344.99', '3,344.99)', '1,2345.00', '12a', '---1', '"12.00', '1.2.3', '-', '()'])('%s is an error', (text) => {
    expect(() => parseIifAmount(text)).toThrow(ParseError);
  });

  it('keeps every decimal: no float rounding', () => {
    expect(iif('12345678901234567890123.12345678')).toBe('12345678901234567890123.12345678');
  });
});

describe('locale amounts (CSV profiles)', () => {
  it.each([
    ['1.234,56', ',', '.', '1234.56'],
    ['-1.234,56', ',', '.', '-1234.56'],
    ['1,234.56', '.', ',', '1234.56'],
    ['1 234,56', ',', ' ', '1234.56'],
    ['1\u00a0234,56', ',', ' ', '1234.56'],
    ["1'234.56", '.', "'", '1234.56'],
    ['(3,00)', ',', '', '-3'],
    ['12,50-', ',', '', '-12.5'],
    ['0,1', ',', '.', '0.1'],
    ['1234', '.', ',', '1234'],
  ] as const)('%s with decimal %s thousands %s is %s', (text, dec, th, value) => {
    expect(parseLocaleAmount(text, dec, th)?.toFixed()).toBe(value);
  });

  it.each([
    ['1,234.56', ',', '.'],
    ['12.34.56', '.', ''],
    ['1.23,4,5', ',', '.'],
    ['12,3456.00', '.', ','],
    ['abc', '.', ''],
    ['-', '.', ''],
  ] as const)('%s with decimal %s thousands %s is an error', (text, dec, th) => {
    expect(() => parseLocaleAmount(text, dec, th)).toThrow(ParseError);
  });
});

describe('dates', () => {
  it.each([
    ['10/24/14', '2014-10-24'],
    ['05-01-15', '2015-05-01'],
    ['5/16/2016', '2016-05-16'],
    ['"1/12/2015"', '2015-01-12'],
    ['2024-01-05', '2024-01-05'],
    ['      08/18/2015', '2015-08-18'],
    ['1/1/99', '1999-01-01'],
  ])('IIF %s is %s', (text, iso) => {
    expect(parseIifDate(text)).toBe(iso);
  });

  it('IIF blank date is null; nonsense is an error', () => {
    expect(parseIifDate('')).toBeNull();
    expect(() => parseIifDate('13/01/2015')).toThrow(ParseError);
    expect(() => parseIifDate('02/30/2015')).toThrow(ParseError);
    expect(() => parseIifDate('yesterday')).toThrow(ParseError);
  });

  it.each([
    ['14.03.2025', 'dd.MM.yyyy', '2025-03-14'],
    ['3/4/25', 'M/d/yy', '2025-03-04'],
    ['2025-03-14', 'yyyy-MM-dd', '2025-03-14'],
    ['20250314', 'yyyyMMdd', '2025-03-14'],
  ])('%s in %s is %s', (text, format, iso) => {
    expect(parseDateWithFormat(text, format)).toBe(iso);
  });

  it('a date not in the format, or not on the calendar, is an error', () => {
    expect(() => parseDateWithFormat('2025-03-14', 'dd.MM.yyyy')).toThrow(ParseError);
    expect(() => parseDateWithFormat('29.02.2025', 'dd.MM.yyyy')).toThrow(ParseError);
  });
});
