// Customer-defined CSV (Concur Standard Edition, and the GL CSV of the QuickBooks bundle), driven by a profile.
import { Transform } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { unitsText, type Units } from '../src/money.js';
import { rowKeyOf, type Transaction } from '../src/model/transaction.js';
import { parseLocaleUnits } from './amount.js';
import type { ColumnRef, CsvColumns, CsvProfile } from './csv-profile.js';
import { parseDateWithFormat } from './date.js';
import { decodeLines } from './decode.js';
import { ParseError, asParseError } from './errors.js';
import { DEFAULT_PARSE_LIMITS, beyondLimit, type ParseLimits } from './limits.js';
import { UnitTotals, type FileTally } from './tally.js';
import type { ParseContext } from './types.js';

type Field = keyof CsvColumns;

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
type Resolved = Partial<Record<Field, { index: number; name: string }>>;

/** Column references to 0-based indexes, checked against the header row when there is one. */
function resolveColumns(columns: CsvColumns, header: string[] | null, file: string): Resolved {
  const out: Resolved = {};
  const byName = new Map(header?.map((h, i) => [h.trim().toLowerCase(), i] as const) ?? []);
  for (const [field, ref] of Object.entries(columns) as Array<[Field, ColumnRef | undefined]>) {
    if (ref === undefined) continue;
    if (typeof ref === 'number') {
      out[field] = { index: ref - 1, name: header?.[ref - 1] ?? `column ${ref}` };
      continue;
    }
    if (!header) throw new ParseError('profile', `column "${ref}" is named, but the profile has no header row`, { file, line: 1, field });
    const index = byName.get(ref.trim().toLowerCase());
    if (index === undefined) throw new ParseError('profile', `header has no column "${ref}"`, { file, line: 1, field });
    out[field] = { index, name: ref };
  }
  return out;
}

/** The header row's fields as the profile reads them from the file's first bytes; [] when unreadable. */
export function csvHeaderOf(head: Buffer, profile: CsvProfile): string[] {
  const body = head.subarray(0, 3).equals(UTF8_BOM) ? head.subarray(3) : head;
  const first = body.toString(profile.encoding === 'windows-1252' ? 'latin1' : 'utf8').split(/\r\n|\r|\n/, 1)[0] ?? '';
  try {
    const [fields] = parseSync(first, { delimiter: profile.delimiter, quote: profile.quote === '' ? false : profile.quote, relax_quotes: true, relax_column_count: true }) as string[][];
    return fields ?? [];
  } catch {
    return [];
  }
}

/** The profile's columns a file with this header row lacks (names, or positions beyond its last field). */
export function missingColumns(profile: CsvProfile, header: readonly string[]): string[] {
  const names = new Set(header.map((h) => h.trim().toLowerCase()));
  const missing: string[] = [];
  for (const ref of Object.values(profile.columns) as Array<ColumnRef | undefined>) {
    if (ref === undefined) continue;
    if (typeof ref === 'number' ? ref > header.length : !names.has(ref.trim().toLowerCase())) missing.push(typeof ref === 'number' ? `column ${ref}` : ref);
  }
  return missing;
}

const CR = 0x0d;

/** Line endings to LF, so csv-parse counts lines right (it miscounts CRLF after blank lines); UTF-8 bytes without a CR pass as they are. */
async function* normalizeBreaks(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<string | Buffer> {
  // decodeLines never ends a chunk inside a CRLF, except at the very end.
  for await (const chunk of chunks) {
    if (typeof chunk !== 'string' && !chunk.includes(CR)) yield chunk;
    else yield chunk.toString().replace(/\r\n?/g, '\n');
  }
}

/** Where csv-parse stands: the line a record ends on and the empty lines skipped so far. */
interface ParserPosition {
  lines: number;
  empty_lines: number;
}

/**
 * First lines of records, followed at the parser's pace (it runs ahead of the consumer, and an error
 * drops the records it had buffered): a record starts after the previous one's last line and the
 * empty lines skipped since.
 */
class RecordStarts {
  private end = 0;
  private empty = 0;

  /** The first line of the record the parser is at (`at`: its position then). */
  startOf(at: ParserPosition): number {
    return this.end + 1 + (at.empty_lines - this.empty);
  }

  /** A record is complete: its first line, and where the next one starts looking. */
  complete(at: ParserPosition): number {
    const start = this.startOf(at);
    this.end = at.lines;
    this.empty = at.empty_lines;
    return start;
  }
}

/** csv-parse's errors in our terms; an unclosed quote is reported where its record starts, not where reading stopped. */
function csvFailure(err: CsvError, starts: RecordStarts, header: string[] | null, file: string, limits: ParseLimits): ParseError {
  const at = err as CsvError & ParserPosition & { column?: number | string | null };
  const line = starts.startOf(at);
  const field = typeof at.column === 'number' ? (header?.[at.column]?.trim() || `column ${at.column + 1}`) : undefined;
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new ParseError('syntax', `quote not closed: the quoted field opened in the record starting on this line runs to the end of the file (line ${at.lines})`, { file, line, field });
  }
  if (err.code === 'CSV_MAX_RECORD_SIZE') {
    if (at.lines > line) {
      return new ParseError('syntax', `quote not closed: the quoted field opened in the record starting on this line is still open at line ${at.lines}, past ${limits.maxLineBytes} bytes (parseLimits.maxLineBytes)`, { file, line, field });
    }
    return beyondLimit(limits, 'maxLineBytes', 'record of more bytes', { file, line });
  }
  return new ParseError('syntax', err.message.replace(/ at line \d+/, ''), { file, line: at.lines });
}

/** What every row of a file is read with. */
interface FileContext {
  profile: CsvProfile;
  cols: Resolved;
  /** The header's raw keys (shared by every row of the file); null without a header row. */
  names: readonly string[] | null;
  ctx: ParseContext;
}

// Module functions rather than closures made for each row: the row loop is the parser's hot path.
function fieldOf(values: readonly string[], cols: Resolved, field: Field): string | null {
  const c = cols[field];
  const v = c ? values[c.index]?.trim() : undefined;
  return v ? v : null;
}

function where(fc: FileContext, line: number, field: Field) {
  return { file: fc.ctx.file, line, field: fc.cols[field]?.name ?? field };
}

function unitsIn(values: readonly string[], fc: FileContext, line: number, field: Field): Units | null {
  try {
    return parseLocaleUnits(fieldOf(values, fc.cols, field) ?? '', fc.profile.decimalSeparator, fc.profile.thousandsSeparator);
  } catch (err) {
    throw (err as ParseError).at(where(fc, line, field));
  }
}

/** The raw record: every field under its header's key, or its 1-based position beyond the header. */
function rawOf(values: readonly string[], names: readonly string[] | null): Record<string, string> {
  const raw: Record<string, string> = {};
  values.forEach((v, i) => {
    raw[names?.[i] ?? String(i + 1)] = v;
  });
  return raw;
}

/** What CSV rows share: `raw` is made only when read, since the load stores the fields and the header apart. */
const CSV_ROW = {
  get raw(): Record<string, string> {
    const t = this as unknown as Transaction;
    return rawOf(t.rawFields!, t.rawNames!);
  },
};

function toTransaction(values: string[], fc: FileContext, line: number): { t: Transaction; amount: Units } {
  const { profile, cols, ctx } = fc;

  let amount: Units;
  if (cols.amount) {
    const a = unitsIn(values, fc, line, 'amount');
    if (a === null) throw new ParseError('amount', 'amount is blank', where(fc, line, 'amount'));
    amount = a;
  } else {
    const debit = unitsIn(values, fc, line, 'debit');
    const credit = unitsIn(values, fc, line, 'credit');
    if (debit === null && credit === null) throw new ParseError('amount', 'debit and credit are both blank', where(fc, line, cols.debit ? 'debit' : 'credit'));
    amount = (debit ?? 0n) - (credit ?? 0n);
  }

  let debitCredit: 'DR' | 'CR' | null = amount === 0n ? null : amount < 0n ? 'CR' : 'DR';
  const dc = fieldOf(values, cols, 'debitCredit');
  if (dc !== null) {
    const norm = dc.toUpperCase();
    if (profile.debitValues.some((v) => v.toUpperCase() === norm)) debitCredit = 'DR';
    else if (profile.creditValues.some((v) => v.toUpperCase() === norm)) debitCredit = 'CR';
    else throw new ParseError('value', `expected one of ${[...profile.debitValues, ...profile.creditValues].join(', ')}, got ${JSON.stringify(dc)}`, where(fc, line, 'debitCredit'));
    if (profile.negateCredits && debitCredit === 'CR' && amount > 0n) amount = -amount;
  }

  let transactionDate: string | null;
  try {
    transactionDate = parseDateWithFormat(fieldOf(values, cols, 'transactionDate') ?? '', profile.dateFormat);
  } catch (err) {
    throw (err as ParseError).at(where(fc, line, 'transactionDate'));
  }

  const currency = fieldOf(values, cols, 'currency')?.toUpperCase() ?? profile.defaultCurrency ?? ctx.defaultCurrency ?? null;
  if (currency !== null && !/^[A-Z]{3}$/.test(currency)) throw new ParseError('value', `not an ISO 4217 currency code: ${JSON.stringify(currency)}`, where(fc, line, 'currency'));

  // A literal with CSV_ROW as its prototype: Object.assign onto Object.create(CSV_ROW) took ~2.5 µs a row, this ~0.3 µs.
  const row: Omit<Transaction, 'raw'> & { __proto__: typeof CSV_ROW } = {
    __proto__: CSV_ROW,
    file: ctx.file,
    fileSha256: ctx.fileSha256,
    lineNumber: line,
    sourceBatchId: fieldOf(values, cols, 'sourceBatchId'),
    employeeId: fieldOf(values, cols, 'employeeId'),
    employeeName: fieldOf(values, cols, 'employeeName'),
    reportId: fieldOf(values, cols, 'reportId'),
    reportKey: fieldOf(values, cols, 'reportKey'),
    reportName: fieldOf(values, cols, 'reportName'),
    entryId: fieldOf(values, cols, 'entryId'),
    journalKey: fieldOf(values, cols, 'journalKey'),
    transactionDate,
    expenseType: fieldOf(values, cols, 'expenseType'),
    description: fieldOf(values, cols, 'description'),
    vendor: fieldOf(values, cols, 'vendor'),
    accountCode: fieldOf(values, cols, 'accountCode'),
    debitCredit,
    amount: unitsText(amount),
    currency,
    paymentType: fieldOf(values, cols, 'paymentType'),
    rawFields: values,
    rawNames: fc.names,
    // A customer CSV's journal key column is data: its lines are identified by their place in the file.
    rowKey: rowKeyOf(null, line),
  };
  return { t: row as Omit<Transaction, 'raw'> as Transaction, amount };
}

/** A record as the parser completed it, with the line it starts on. */
interface LineRecord {
  record: string[];
  line: number;
}

/**
 * CSV bytes as normalized transactions, through csv-parse. Every row counts toward the totals. The parser is fed
 * one decoded chunk at a time and hands its records over in a batch per chunk (on_record), rather than through its
 * readable side one async step a record: that step cost more than the parsing (BENCHMARKS.md).
 */
export async function* parseCsv(
  bytes: AsyncIterable<Buffer>,
  profile: CsvProfile,
  ctx: ParseContext,
  tally: FileTally,
  limits: ParseLimits = DEFAULT_PARSE_LIMITS,
): AsyncGenerator<Transaction> {
  const starts = new RecordStarts();
  let first: string[] | null = null; // the header row as the parser saw it: errors name its columns
  let batch: LineRecord[] = [];
  const parser = parse({
    delimiter: profile.delimiter,
    quote: profile.quote === '' ? false : profile.quote,
    record_delimiter: '\n',
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: limits.maxLineBytes,
  });
  // Each record is taken where the parser pushes it to its readable side, with the parser's running position
  // (`info`, which it has counted up to the record's last line then): not through that side (an async step a record),
  // nor through on_record, which builds two context objects a record (~8 % of a CSV load's CPU, BENCHMARKS.md).
  const info = parser.info as ParserPosition;
  parser.push = (record: string[] | null) => {
    if (record === null) return Transform.prototype.push.call(parser, null);
    first ??= record;
    batch.push({ record, line: starts.complete(info) });
    return true;
  };
  // Its errors are read from `errored` after each write, and thrown from here.
  parser.on('error', () => undefined);
  /** The records of the chunk just written; a parse error instead, as before, drops them (reported where it arose). */
  const taken = (): LineRecord[] => {
    if (parser.errored) throw parser.errored;
    const records = batch;
    batch = [];
    return records;
  };

  let file: FileContext | null = profile.header ? null : { profile, cols: resolveColumns(profile.columns, null, ctx.file), names: null, ctx };
  // Added to the tally once per chunk.
  const totals = new UnitTotals(tally);
  function* rowsOf(records: LineRecord[]): Generator<Transaction> {
    try {
      yield* rowsWithin(records);
    } finally {
      totals.flush();
    }
  }
  function* rowsWithin(records: LineRecord[]): Generator<Transaction> {
    for (const { record, line } of records) {
      if (record.length > limits.maxFieldsPerLine) throw beyondLimit(limits, 'maxFieldsPerLine', 'record has more fields', { file: ctx.file, line });
      if (!file) {
        file = { profile, cols: resolveColumns(profile.columns, record, ctx.file), names: record.map((name, i) => name.trim() || String(i + 1)), ctx };
        continue;
      }
      if (record.every((v) => v.trim() === '')) continue;
      const { t, amount } = toTransaction(record, file, line);
      tally.rows++;
      totals.add(t.currency, amount);
      yield t;
    }
  }
  try {
    for await (const chunk of normalizeBreaks(decodeLines(bytes, { encoding: profile.encoding, file: ctx.file, maxLineBytes: limits.maxLineBytes, utf8Bytes: true }))) {
      parser.write(chunk);
      yield* rowsOf(taken());
    }
    await new Promise((resolve) => parser.end(resolve));
    yield* rowsOf(taken());
  } catch (err) {
    if (err instanceof CsvError) throw csvFailure(err, starts, profile.header ? first : null, ctx.file, limits);
    throw asParseError(err, 'syntax', { file: ctx.file });
  } finally {
    parser.destroy();
  }
  if (!file) throw new ParseError('syntax', 'empty file: no header row', { file: ctx.file, line: 1 });
}
