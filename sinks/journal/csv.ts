// The journal as CSV in a configured layout (the `generic` preset: every field). Machine-read by an ERP import,
// so cells are written as they are: no spreadsheet-formula neutralising, which would change amounts and texts.
import { stringify } from 'csv-stringify/sync';
import type { CsvFormat } from './config.js';
import { DATE_FIELDS, JOURNAL_FIELDS, type JournalField, type JournalLine, type Rendered } from './lines.js';
import { encode, formatIsoDate, withSeparator } from './text.js';

export function columnsOf(f: CsvFormat): Array<{ field: string; header: string }> {
  return f.columns ?? JOURNAL_FIELDS.map((field) => ({ field, header: field }));
}

function cell(line: JournalLine, field: string, f: CsvFormat): string {
  if (field.startsWith('raw:')) return line.raw[field.slice(4)] ?? '';
  const value = line[field as JournalField];
  if (value === null) return '';
  if (field === 'amount') return withSeparator(value, f.decimalSeparator);
  if (DATE_FIELDS.has(field)) return formatIsoDate(value, f.dateFormat);
  return value;
}

export function renderCsv(lines: readonly JournalLine[], f: CsvFormat): Rendered {
  const columns = columnsOf(f);
  const records = lines.map((l) => columns.map((c) => cell(l, c.field, f)));
  const text = stringify(f.header ? [columns.map((c) => c.header), ...records] : records, {
    delimiter: f.delimiter,
    record_delimiter: f.lineEnding === 'crlf' ? 'windows' : 'unix',
  });
  // What the file says each line amounts to, read back from the cells as written.
  const written = lines.map((l) => ({ currency: l.currency ?? '', amount: withSeparator(l.amount, f.decimalSeparator).replace(',', '.'), lineType: l.lineType }));
  return { bytes: encode(text, f.encoding), written };
}
