// Date text to ISO calendar dates (yyyy-mm-dd), by an explicit format or by the IIF conventions.
import { ParseError } from './errors.js';

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Two-digit years: 00-69 are 20xx, 70-99 are 19xx (the POSIX pivot). */
function fullYear(y: string): number {
  const n = Number(y);
  if (y.length > 2) return n;
  return n < 70 ? 2000 + n : 1900 + n;
}

function isoDate(text: string, year: number, month: number, day: number): string {
  const d = new Date(Date.UTC(year, month - 1, day));
  if (year < 1 || d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day) {
    throw new ParseError('date', `not a calendar date ${JSON.stringify(text)}`);
  }
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

const IIF_ISO = /^(\d{4})-(\d{1,2})-(\d{1,2})$/;
const IIF_US = /^(\d{1,2})[/-](\d{1,2})[/-](\d{2}|\d{4})$/;

/** IIF dates: `M/D/YY`, `MM-DD-YY`, `MM/DD/YYYY`, ISO; blank is null. */
export function parseIifDate(text: string): string | null {
  const t = text.trim().replace(/^"(.*)"$/, '$1').trim();
  if (t === '') return null;
  const iso = IIF_ISO.exec(t);
  if (iso) return isoDate(text, Number(iso[1]), Number(iso[2]), Number(iso[3]));
  const us = IIF_US.exec(t);
  if (us) return isoDate(text, fullYear(us[3] ?? ''), Number(us[1]), Number(us[2]));
  throw new ParseError('date', `unrecognised date ${JSON.stringify(text)}`);
}

interface CompiledFormat {
  regex: RegExp;
  parts: Array<'y' | 'M' | 'd'>;
}

const TOKEN = /yyyy|yy|MM|M|dd|d/g;
const compiled = new Map<string, CompiledFormat>();

function compile(format: string): CompiledFormat {
  const cached = compiled.get(format);
  if (cached) return cached;
  const parts: CompiledFormat['parts'] = [];
  let source = '';
  let last = 0;
  for (const m of format.matchAll(TOKEN)) {
    source += format.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const tok = m[0];
    parts.push(tok[0] as 'y' | 'M' | 'd');
    source += tok === 'yyyy' ? '(\\d{4})' : tok.length === 2 ? '(\\d{2})' : '(\\d{1,2})';
    last = m.index + tok.length;
  }
  source += format.slice(last).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const result = { regex: new RegExp(`^${source}$`), parts };
  compiled.set(format, result);
  return result;
}

/** Checks a profile's date format: it must name year, month and day once each. */
export function isValidDateFormat(format: string): boolean {
  const { parts } = compile(format);
  return parts.length === 3 && new Set(parts).size === 3;
}

/** A date written in `format` (tokens yyyy, yy, MM, M, dd, d; anything else literal); blank is null. */
export function parseDateWithFormat(text: string, format: string): string | null {
  const t = text.trim();
  if (t === '') return null;
  const { regex, parts } = compile(format);
  const m = regex.exec(t);
  if (!m) throw new ParseError('date', `date ${JSON.stringify(text)} does not match ${format}`);
  let year = 0;
  let month = 0;
  let day = 0;
  parts.forEach((p, i) => {
    const v = m[i + 1] ?? '';
    if (p === 'y') year = fullYear(v);
    else if (p === 'M') month = Number(v);
    else day = Number(v);
  });
  return isoDate(text, year, month, day);
}
