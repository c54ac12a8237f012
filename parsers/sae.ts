// SAP Concur Standard Accounting Extract: pipe-delimited, EXTRACT header then 400-field DETAIL lines.
import { unitsText, type Units } from '../src/money.js';
import { parsePlainUnits } from './amount.js';
import { rowKeyOf, type Transaction } from '../src/model/transaction.js';
import { parseDateWithFormat } from './date.js';
import { decodeLines } from './decode.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import { ParseError, SaeHeaderMismatchError } from './errors.js';
import { numberedLines } from './lines.js';
import { SAE_DETAIL_FIELDS, SAE_EXTRACT_FIELDS } from './sae-layout.js';
import { UnitTotals, type FileTally, type HeaderTotals } from './tally.js';
import type { ParseContext } from './types.js';

export const SAE_DETAIL_COLUMNS = SAE_DETAIL_FIELDS.length;

/** 0-based index of a DETAIL column by its published name (names used here are unique). */
function colIndex(name: string): number {
  const i = SAE_DETAIL_FIELDS.indexOf(name);
  if (i === -1 || SAE_DETAIL_FIELDS.indexOf(name, i + 1) !== -1) throw new Error(`SAE layout: no unique column ${name}`);
  return i;
}

export const SAE_COL = {
  concurBatchId: colIndex('Batch ID'),
  employeeId: colIndex('Employee ID'),
  lastName: colIndex('Employee Last Name'),
  firstName: colIndex('Employee First Name'),
  middleInitial: colIndex('Middle Initial'),
  reportId: colIndex('Report ID'),
  reportKey: colIndex('Report Key'),
  reimbursementCurrency: colIndex('Employee Default Currency Alpha Code'),
  reportName: colIndex('Report Name'),
  entryId: colIndex('Report Entry Id'),
  expenseType: colIndex('Report Entry Expense Type Name'),
  transactionDate: colIndex('Report Entry Transaction Date'),
  entryCurrency: colIndex('Report Entry Currency Alpha Code'),
  description: colIndex('Report Entry Description'),
  vendor: colIndex('Report Entry Vendor Name'),
  paymentTypeCode: colIndex('Payment Type Code'),
  accountCode: colIndex('Journal Account Code'),
  debitCredit: colIndex('Journal Debit or Credit'),
  amount: colIndex('Journal Amount'),
  journalKey: colIndex('Journal Key'),
} as const;

/** Raw keys: the column name, made unique with its 1-based number where the layout repeats a name. */
export const SAE_RAW_KEYS: readonly string[] = SAE_DETAIL_FIELDS.map((name, i) =>
  SAE_DETAIL_FIELDS.indexOf(name) === SAE_DETAIL_FIELDS.lastIndexOf(name) ? name : `${name} (${i + 1})`,
);

function blank(v: string | undefined): string | null {
  const t = v?.trim();
  return t ? t : null;
}

function debitCredit(v: string | undefined, loc: { file: string; line: number }): 'DR' | 'CR' | null {
  const t = (v ?? '').trim().toUpperCase();
  if (t === '') return null;
  if (t === 'DR' || t === 'D' || t === 'DEBIT') return 'DR';
  if (t === 'CR' || t === 'C' || t === 'CREDIT') return 'CR';
  throw new ParseError('value', `expected DR or CR, got ${JSON.stringify(v)}`, { ...loc, field: 'Journal Debit or Credit' });
}

/** An amount in exact units (src/money.ts): a Decimal a row, and a Decimal sum, cost more than the rest of the row. */
function units(text: string | undefined, loc: { file: string; line: number; field: string }): Units {
  let u: Units | null;
  try {
    u = parsePlainUnits(text ?? '');
  } catch (err) {
    throw (err as ParseError).at(loc);
  }
  if (u === null) throw new ParseError('amount', `malformed amount ${JSON.stringify(text ?? '')}`, loc);
  return u;
}

function isoDate(text: string | undefined, loc: { file: string; line: number; field: string }): string | null {
  try {
    return parseDateWithFormat(text ?? '', 'yyyy-MM-dd');
  } catch (err) {
    throw (err as ParseError).at(loc);
  }
}

function parseHeader(text: string, file: string): HeaderTotals {
  // Five fields are read; the rest is never split (a hostile header may hold millions).
  const f = text.split('|', 6);
  const field = (i: number): string => (f[i] ?? '').trim();
  const loc = (i: number) => ({ file, line: 1, field: SAE_EXTRACT_FIELDS[i] ?? String(i + 1) });
  if (f[0] !== 'EXTRACT') throw new ParseError('syntax', 'an SAE file starts with an EXTRACT| header line', { file, line: 1 });
  if (f.length < 5) throw new ParseError('syntax', `EXTRACT header has ${f.length} fields, expected 5`, { file, line: 1 });
  if (!/^\d+$/.test(field(2))) throw new ParseError('value', `record count ${JSON.stringify(field(2))} is not a number`, loc(2));
  return {
    batchDate: isoDate(field(1), loc(1)),
    recordCount: Number(field(2)),
    total: unitsText(units(field(3), loc(3))),
    batchId: field(4),
  };
}

/** Columns the normalized row reads; the others stay in the line. */
const READ = new Uint8Array(SAE_DETAIL_COLUMNS);
for (const i of Object.values(SAE_COL)) READ[i] = 1;
const LAST_READ = Math.max(...Object.values(SAE_COL));
const PIPE = 0x7c;

/**
 * Scans a DETAIL line and slices only the columns the normalized row reads into `fields` (by position; the others
 * stay undefined, the line itself keeps them). Returns the number of fields, stopping at the first beyond the layout
 * (SAE_DETAIL_COLUMNS + 1: the line is refused), so a hostile line of millions of pipes costs no more than a valid one.
 */
function scanDetail(text: string, fields: Array<string | undefined>): number {
  fields.fill(undefined);
  let start = 0;
  let count = 0;
  for (; count <= LAST_READ; count++) {
    const end = text.indexOf('|', start);
    if (READ[count]) fields[count] = text.slice(start, end === -1 ? text.length : end);
    if (end === -1) return count + 1;
    start = end + 1;
  }
  // The fields beyond the last read are only counted, by a loop over characters: an indexOf a field (most are empty)
  // cost ~40 % more for the whole scan (BENCHMARKS.md).
  for (let i = start; i < text.length; i++) if (text.charCodeAt(i) === PIPE && ++count === SAE_DETAIL_COLUMNS) return count + 1;
  return count + 1;
}

/** The raw record: non-empty fields by column name (most of the 400 are empty in any real extract; absent means empty). */
function rawOf(line: string): Record<string, string> {
  const raw: Record<string, string> = {};
  line.split('|', SAE_DETAIL_COLUMNS).forEach((v, i) => {
    if (v) raw[SAE_RAW_KEYS[i] as string] = v;
  });
  return raw;
}

/** What SAE rows share: `raw` (up to 400 names) is made only when read, since the load stores the line itself. */
const SAE_ROW = {
  get raw(): Record<string, string> {
    return rawOf((this as unknown as Transaction).rawLine!);
  },
};

function toTransaction(fields: ReadonlyArray<string | undefined>, text: string, line: number, ctx: ParseContext, header: HeaderTotals): { t: Transaction; amount: Units } {
  const loc = { file: ctx.file, line };
  const concurBatchId = blank(fields[SAE_COL.concurBatchId]);
  if (concurBatchId !== header.batchId) {
    throw new ParseError('header-mismatch', `DETAIL batch id ${JSON.stringify(concurBatchId)} differs from the EXTRACT header's ${header.batchId}`, { ...loc, field: 'Batch ID' });
  }
  const name = [fields[SAE_COL.firstName], fields[SAE_COL.middleInitial], fields[SAE_COL.lastName]].map(blank).filter(Boolean).join(' ');
  const amount = units(fields[SAE_COL.amount], { ...loc, field: 'Journal Amount' });
  const journalKey = blank(fields[SAE_COL.journalKey]);
  // A literal with SAE_ROW as its prototype: Object.assign onto Object.create(SAE_ROW) cost ~2 µs a row (as in parsers/csv.ts).
  const row: Omit<Transaction, 'raw'> & { __proto__: typeof SAE_ROW } = {
    __proto__: SAE_ROW,
    file: ctx.file,
    fileSha256: ctx.fileSha256,
    lineNumber: line,
    sourceBatchId: header.batchId,
    employeeId: blank(fields[SAE_COL.employeeId]),
    employeeName: name || null,
    reportId: blank(fields[SAE_COL.reportId]),
    reportKey: blank(fields[SAE_COL.reportKey]),
    reportName: blank(fields[SAE_COL.reportName]),
    entryId: blank(fields[SAE_COL.entryId]),
    journalKey,
    transactionDate: isoDate(fields[SAE_COL.transactionDate], { ...loc, field: 'Report Entry Transaction Date' }),
    expenseType: blank(fields[SAE_COL.expenseType]),
    description: blank(fields[SAE_COL.description]),
    vendor: blank(fields[SAE_COL.vendor]),
    accountCode: blank(fields[SAE_COL.accountCode]),
    debitCredit: debitCredit(fields[SAE_COL.debitCredit], loc),
    amount: unitsText(amount),
    // The journal amount is in the report's reimbursement currency, not the entry's spend currency.
    currency: blank(fields[SAE_COL.reimbursementCurrency]) ?? blank(fields[SAE_COL.entryCurrency]) ?? ctx.defaultCurrency ?? null,
    paymentType: blank(fields[SAE_COL.paymentTypeCode]),
    rawLine: text,
    rowKey: rowKeyOf(journalKey, line),
  };
  return { t: row as Omit<Transaction, 'raw'> as Transaction, amount };
}

/**
 * SAE bytes as normalized transactions. The DETAIL count must equal the header's record count, else
 * SaeHeaderMismatchError (a truncated or padded file) after the last row. The header's journal amount
 * total is recorded in the tally for reconciliation, which reports a difference with its amount.
 */
export async function* parseSae(bytes: AsyncIterable<Buffer>, ctx: ParseContext, tally: FileTally, limits: ParseLimits = DEFAULT_PARSE_LIMITS): AsyncGenerator<Transaction> {
  let header: HeaderTotals | null = null;
  let details = 0;
  const fields = new Array<string | undefined>(SAE_DETAIL_COLUMNS);
  // Added to the tally once per batch of lines, and when the parse stops for any reason.
  const totals = new UnitTotals(tally);
  try {
    for await (const batch of numberedLines(decodeLines(bytes, { encoding: 'auto', file: ctx.file, maxLineBytes: limits.maxLineBytes }))) {
      for (const { line, text } of batch) {
        if (!header) {
          header = parseHeader(text, ctx.file);
          tally.header = header;
          continue;
        }
        if (text === '') continue;
        if (!text.startsWith('DETAIL|')) throw new ParseError('syntax', `expected a DETAIL line, got ${JSON.stringify(text.slice(0, 20))}`, { file: ctx.file, line });
        const count = scanDetail(text, fields);
        // Some real extracts drop the last (empty) field: 399 is accepted.
        if (count !== SAE_DETAIL_COLUMNS && count !== SAE_DETAIL_COLUMNS - 1) {
          const found = count > SAE_DETAIL_COLUMNS ? `more than ${SAE_DETAIL_COLUMNS}` : String(count);
          throw new ParseError('syntax', `DETAIL line has ${found} fields, expected ${SAE_DETAIL_COLUMNS}`, { file: ctx.file, line });
        }
        details++;
        const { t, amount } = toTransaction(fields, text, line, ctx, header);
        tally.rows++;
        totals.add(t.currency, amount);
        yield t;
      }
      totals.flush();
    }
  } finally {
    totals.flush();
  }
  if (!header) throw new ParseError('syntax', 'empty file: no EXTRACT header', { file: ctx.file, line: 1 });
  if (details !== header.recordCount) {
    throw new SaeHeaderMismatchError('Record_Count', `${header.recordCount} records`, `${details}`, ctx.file);
  }
}

