// Text and number conventions of the journal files: encodings, decimal separators, dates. Pure.
import iconv from 'iconv-lite';
import { formatUtc } from '../date-format.js';

export type Encoding = 'utf-8' | 'windows-1252';

/** The characters Windows-1252 can hold (the five undefined bytes decode to U+FFFD and are left out). */
const WINDOWS_1252: ReadonlySet<string> = new Set(
  [...iconv.decode(Buffer.from(Array.from({ length: 256 }, (_, i) => i)), 'windows-1252')].filter((c) => c !== '\uFFFD'),
);

/**
 * Text an encoding can hold: a character Windows-1252 lacks loses its accents (ő → o), else becomes '?', so the
 * file never carries iconv's silent substitutes and the same input always gives the same bytes.
 */
export function representable(text: string, encoding: Encoding): string {
  if (encoding === 'utf-8') return text;
  let out = '';
  for (const ch of text) {
    if (WINDOWS_1252.has(ch)) out += ch;
    else {
      const base = ch.normalize('NFKD').replace(/\p{M}/gu, '');
      out += [...base].every((c) => WINDOWS_1252.has(c)) && base !== '' ? base : '?';
    }
  }
  return out;
}

export function encode(text: string, encoding: Encoding): Buffer {
  return encoding === 'utf-8' ? Buffer.from(text, 'utf8') : iconv.encode(representable(text, encoding), 'windows-1252');
}

/** An exact decimal text ("-12.50") with the decimal separator asked for. */
export const withSeparator = (amount: string, separator: '.' | ','): string => (separator === '.' ? amount : amount.replace('.', ','));

/** An ISO date (yyyy-mm-dd) in a format of yyyy MM dd tokens; '' for none. */
export const formatIsoDate = (iso: string | null, format: string): string => (iso ? formatUtc(new Date(`${iso}T00:00:00Z`), format) : '');
