// Customer-defined CSV (Concur Standard Edition, and the GL CSV of the QuickBooks bundle), driven by a profile.
import { Readable } from 'node:stream';
import { parse, CsvError } from 'csv-parse';
import { parse as parseSync } from 'csv-parse/sync';
import { Money, ZERO, moneyText } from '../src/money.js';
import { rowKeyOf, type Transaction } from '../src/model/transaction.js';
import { parseLocaleAmount } from './amount.js';
import type { ColumnRef, CsvColumns, CsvProfile } from './csv-profile.js';
import { parseDateWithFormat } from './date.js';
import { DEFAULT_MAX_LINE_BYTES, decodeLines } from './decode.js';
import { ParseError, asParseError } from './errors.js';
import { addTotal, type FileTally } from './tally.js';
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

/** Line endings to LF, so csv-parse counts lines right (it miscounts CRLF after blank lines). */
async function* normalizeBreaks(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  // decodeLines never ends a chunk inside a CRLF, except at the very end.
  for await (const chunk of chunks) yield chunk.replace(/\r\n?/g, '\n');
}

function newlines(values: string[]): number {
  let n = 0;
  for (const v of values) for (let i = v.indexOf('\n'); i !== -1; i = v.indexOf('\n', i + 1)) n++;
  return n;
}

interface RowContext {
  profile: CsvProfile;
  cols: Resolved;
  header: string[] | null;
  ctx: ParseContext;
  line: number;
}

function toTransaction(values: string[], rc: RowContext): { t: Transaction; amount: Money } {
  const { profile, cols, ctx, line } = rc;
  const get = (field: Field): string | null => {
    const c = cols[field];
    const v = c ? values[c.index]?.trim() : undefined;
    return v ? v : null;
  };
  const at = (field: Field) => ({ file: ctx.file, line, field: cols[field]?.name ?? field });
  const amountOf = (field: Field): Money | null => {
    try {
      return parseLocaleAmount(get(field) ?? '', profile.decimalSeparator, profile.thousandsSeparator);
    } catch (err) {
      throw (err as ParseError).at(at(field));
    }
  };

  let amount: Money;
  if (cols.amount) {
    const a = amountOf('amount');
    if (a === null) throw new ParseError('amount', 'amount is blank', at('amount'));
    amount = a;
  } else {
    const debit = amountOf('debit');
    const credit = amountOf('credit');
    if (debit === null && credit === null) throw new ParseError('amount', 'debit and credit are both blank', at(cols.debit ? 'debit' : 'credit'));
    amount = (debit ?? ZERO).minus(credit ?? ZERO);
  }

  let debitCredit: 'DR' | 'CR' | null = amount.isZero() ? null : amount.isNegative() ? 'CR' : 'DR';
  const dc = get('debitCredit');
  if (dc !== null) {
    const norm = dc.toUpperCase();
    if (profile.debitValues.some((v) => v.toUpperCase() === norm)) debitCredit = 'DR';
    else if (profile.creditValues.some((v) => v.toUpperCase() === norm)) debitCredit = 'CR';
    else throw new ParseError('value', `expected one of ${[...profile.debitValues, ...profile.creditValues].join(', ')}, got ${JSON.stringify(dc)}`, at('debitCredit'));
    if (profile.negateCredits && debitCredit === 'CR' && amount.isPositive()) amount = amount.negated();
  }

  let transactionDate: string | null;
  try {
    transactionDate = parseDateWithFormat(get('transactionDate') ?? '', profile.dateFormat);
  } catch (err) {
    throw (err as ParseError).at(at('transactionDate'));
  }

  const currency = get('currency')?.toUpperCase() ?? profile.defaultCurrency ?? ctx.defaultCurrency ?? null;
  if (currency !== null && !/^[A-Z]{3}$/.test(currency)) throw new ParseError('value', `not an ISO 4217 currency code: ${JSON.stringify(currency)}`, at('currency'));

  const raw: Record<string, string> = {};
  values.forEach((v, i) => {
    const name = rc.header?.[i]?.trim();
    raw[name ? name : String(i + 1)] = v;
  });

  const t: Transaction = {
    file: ctx.file,
    fileSha256: ctx.fileSha256,
    lineNumber: line,
    sourceBatchId: get('sourceBatchId'),
    employeeId: get('employeeId'),
    employeeName: get('employeeName'),
    reportId: get('reportId'),
    reportKey: get('reportKey'),
    reportName: get('reportName'),
    entryId: get('entryId'),
    journalKey: get('journalKey'),
    transactionDate,
    expenseType: get('expenseType'),
    description: get('description'),
    vendor: get('vendor'),
    accountCode: get('accountCode'),
    debitCredit,
    amount: moneyText(amount),
    currency,
    paymentType: get('paymentType'),
    raw,
    // A customer CSV's journal key column is data: its lines are identified by their place in the file.
    rowKey: rowKeyOf(null, line),
  };
  return { t, amount };
}

/** CSV bytes as normalized transactions, streaming through csv-parse. Every row counts toward the totals. */
export async function* parseCsv(bytes: AsyncIterable<Buffer>, profile: CsvProfile, ctx: ParseContext, tally: FileTally): AsyncGenerator<Transaction> {
  const source = Readable.from(normalizeBreaks(decodeLines(bytes, { encoding: profile.encoding, file: ctx.file })));
  const parser = parse({
    delimiter: profile.delimiter,
    quote: profile.quote === '' ? false : profile.quote,
    record_delimiter: '\n',
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
    max_record_size: DEFAULT_MAX_LINE_BYTES,
  });
  source.on('error', (err) => parser.destroy(err));
  source.pipe(parser);

  let header: string[] | null = null;
  let cols: Resolved | null = profile.header ? null : resolveColumns(profile.columns, null, ctx.file);
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines - newlines(record);
      if (!cols) {
        header = record;
        cols = resolveColumns(profile.columns, header, ctx.file);
        continue;
      }
      if (record.every((v) => v.trim() === '')) continue;
      const { t, amount } = toTransaction(record, { profile, cols, header, ctx, line });
      tally.rows++;
      addTotal(tally, t.currency, amount);
      yield t;
    }
  } catch (err) {
    if (err instanceof CsvError) {
      const lines = (err as CsvError & { lines?: number }).lines;
      throw new ParseError('syntax', err.message.replace(/ at line \d+/, ''), { file: ctx.file, line: lines });
    }
    throw asParseError(err, 'syntax', { file: ctx.file });
  } finally {
    source.destroy();
  }
  if (profile.header && !cols) throw new ParseError('syntax', 'empty file: no header row', { file: ctx.file, line: 1 });
}
