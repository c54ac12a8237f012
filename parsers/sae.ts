// SAP Concur Standard Accounting Extract: pipe-delimited, EXTRACT header then 400-field DETAIL lines.
import { Money, moneyText, parseMoney } from '../src/money.js';
import { withinLimits } from './amount.js';
import { rowKeyOf, type Transaction } from '../src/model/transaction.js';
import { parseDateWithFormat } from './date.js';
import { decodeLines } from './decode.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
import { ParseError, SaeHeaderMismatchError } from './errors.js';
import { numberedLines } from './lines.js';
import { SAE_DETAIL_FIELDS, SAE_EXTRACT_FIELDS } from './sae-layout.js';
import { addTotal, type FileTally, type HeaderTotals } from './tally.js';
import type { ParseContext } from './types.js';

export const SAE_DETAIL_COLUMNS = SAE_DETAIL_FIELDS.length;

/** 0-based index of a DETAIL column by its published name (names used here are unique). */
function colIndex(name: string): number {
  const i = SAE_DETAIL_FIELDS.indexOf(name);
  if (i === -1 || SAE_DETAIL_FIELDS.indexOf(name, i + 1) !== -1) throw new Error(`SAE layout: no unique column ${name}`);
  return i;
}

export const SAE_COL = {
  batchId: colIndex('Batch ID'),
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
const RAW_KEYS: readonly string[] = SAE_DETAIL_FIELDS.map((name, i) =>
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

function money(text: string | undefined, loc: { file: string; line: number; field: string }): Money {
  const m = parseMoney(text ?? '');
  if (m === null) throw new ParseError('amount', `malformed amount ${JSON.stringify(text ?? '')}`, loc);
  try {
    return withinLimits(m, text ?? '');
  } catch (err) {
    throw (err as ParseError).at(loc);
  }
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
    total: moneyText(money(field(3), loc(3))),
    batchId: field(4),
  };
}

/**
 * Splits a DETAIL line into its raw record, leaving out empty columns: most of the 400 are empty in
 * any real extract and absent means empty. One scan, no 400-element array: this is the hot loop.
 * Stops at the first field beyond the layout (count is then SAE_DETAIL_COLUMNS + 1): the line is refused.
 */
function scanDetail(text: string): { raw: Record<string, string>; count: number } {
  const raw: Record<string, string> = {};
  const len = text.length;
  let count = 0;
  let start = 0;
  for (let i = 0; i <= len; i++) {
    if (i === len || text.charCodeAt(i) === 0x7c) {
      if (count === SAE_DETAIL_COLUMNS) return { raw, count: count + 1 };
      if (i > start) raw[RAW_KEYS[count] as string] = text.slice(start, i);
      count++;
      start = i + 1;
    }
  }
  return { raw, count };
}

function col(raw: Record<string, string>, index: number): string | undefined {
  return raw[RAW_KEYS[index] as string];
}

function toTransaction(raw: Record<string, string>, line: number, ctx: ParseContext, header: HeaderTotals): { t: Transaction; amount: Money } {
  const loc = { file: ctx.file, line };
  const batchId = blank(col(raw, SAE_COL.batchId));
  if (batchId !== header.batchId) {
    throw new ParseError('header-mismatch', `DETAIL batch id ${JSON.stringify(batchId)} differs from the EXTRACT header's ${header.batchId}`, { ...loc, field: 'Batch ID' });
  }
  const name = [col(raw, SAE_COL.firstName), col(raw, SAE_COL.middleInitial), col(raw, SAE_COL.lastName)].map(blank).filter(Boolean).join(' ');
  const amount = money(col(raw, SAE_COL.amount), { ...loc, field: 'Journal Amount' });
  const journalKey = blank(col(raw, SAE_COL.journalKey));
  const t: Transaction = {
    file: ctx.file,
    fileSha256: ctx.fileSha256,
    lineNumber: line,
    sourceBatchId: header.batchId,
    employeeId: blank(col(raw, SAE_COL.employeeId)),
    employeeName: name || null,
    reportId: blank(col(raw, SAE_COL.reportId)),
    reportKey: blank(col(raw, SAE_COL.reportKey)),
    reportName: blank(col(raw, SAE_COL.reportName)),
    entryId: blank(col(raw, SAE_COL.entryId)),
    journalKey,
    transactionDate: isoDate(col(raw, SAE_COL.transactionDate), { ...loc, field: 'Report Entry Transaction Date' }),
    expenseType: blank(col(raw, SAE_COL.expenseType)),
    description: blank(col(raw, SAE_COL.description)),
    vendor: blank(col(raw, SAE_COL.vendor)),
    accountCode: blank(col(raw, SAE_COL.accountCode)),
    debitCredit: debitCredit(col(raw, SAE_COL.debitCredit), loc),
    amount: moneyText(amount),
    // The journal amount is in the report's reimbursement currency, not the entry's spend currency.
    currency: blank(col(raw, SAE_COL.reimbursementCurrency)) ?? blank(col(raw, SAE_COL.entryCurrency)) ?? ctx.defaultCurrency ?? null,
    paymentType: blank(col(raw, SAE_COL.paymentTypeCode)),
    raw,
    rowKey: rowKeyOf(journalKey, line),
  };
  return { t, amount };
}

/**
 * SAE bytes as normalized transactions. The DETAIL count must equal the header's record count, else
 * SaeHeaderMismatchError (a truncated or padded file) after the last row. The header's journal amount
 * total is recorded in the tally for reconciliation, which reports a difference with its amount.
 */
export async function* parseSae(bytes: AsyncIterable<Buffer>, ctx: ParseContext, tally: FileTally, limits: ParseLimits = DEFAULT_PARSE_LIMITS): AsyncGenerator<Transaction> {
  let header: HeaderTotals | null = null;
  let details = 0;
  for await (const batch of numberedLines(decodeLines(bytes, { encoding: 'auto', file: ctx.file, maxLineBytes: limits.maxLineBytes }))) for (const { line, text } of batch) {
    if (!header) {
      header = parseHeader(text, ctx.file);
      tally.header = header;
      continue;
    }
    if (text === '') continue;
    if (!text.startsWith('DETAIL|')) throw new ParseError('syntax', `expected a DETAIL line, got ${JSON.stringify(text.slice(0, 20))}`, { file: ctx.file, line });
    const { raw, count } = scanDetail(text);
    // Some real extracts drop the last (empty) field: 399 is accepted.
    if (count !== SAE_DETAIL_COLUMNS && count !== SAE_DETAIL_COLUMNS - 1) {
      const found = count > SAE_DETAIL_COLUMNS ? `more than ${SAE_DETAIL_COLUMNS}` : String(count);
      throw new ParseError('syntax', `DETAIL line has ${found} fields, expected ${SAE_DETAIL_COLUMNS}`, { file: ctx.file, line });
    }
    details++;
    const { t, amount } = toTransaction(raw, line, ctx, header);
    tally.rows++;
    addTotal(tally, t.currency, amount);
    yield t;
  }
  if (!header) throw new ParseError('syntax', 'empty file: no EXTRACT header', { file: ctx.file, line: 1 });
  if (details !== header.recordCount) {
    throw new SaeHeaderMismatchError('Record_Count', `${header.recordCount} records`, `${details}`, ctx.file);
  }
}

