// QuickBooks IIF: a lenient structural reader (every quirk of iif.md, auto-detected) and the strict
// transaction stream on top of it, which rejects blocks that do not balance.
import { Money, ZERO, moneyText } from '../src/money.js';
import { rowKeyOf, type Transaction } from '../src/model/transaction.js';
import { parseIifAmount } from './amount.js';
import { parseIifDate } from './date.js';
import { decodeLines } from './decode.js';
import { IifUnbalancedError, ParseError } from './errors.js';
import { iifDelimiter, splitIifLine } from './iif-fields.js';
import { DEFAULT_PARSE_LIMITS, beyondLimit, type ParseLimits } from './limits.js';
import { numberedLines } from './lines.js';
import { addAccountTotal, addListRecord, addTotal, type FileTally, type IifListRecord } from './tally.js';
import type { ParseContext } from './types.js';

export interface IifRow {
  kind: 'TRNS' | 'SPL';
  line: number;
  /** Values by header column name; values beyond the header by 1-based position in the line. */
  fields: Record<string, string>;
  amount: Money | null;
  date: string | null;
}

export interface IifBlock {
  /** TRNS first, then its SPL rows, in file order. */
  rows: IifRow[];
  firstLine: number;
  lastLine: number;
  /** False when the block ended without ENDTRNS (next TRNS, a header, or end of file). */
  closed: boolean;
  /** Sum of the amounts when it is not zero, else null. */
  imbalance: string | null;
}

/** A list record comes with the length of its line: what keeping it may cost. */
export type IifItem = { type: 'transaction'; block: IifBlock } | { type: 'list'; record: IifListRecord; bytes: number };

const TX_KINDS = new Set(['TRNS', 'SPL', 'ENDTRNS']);

function toRecord(columns: readonly string[], values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 1; i < values.length; i++) {
    const name = columns[i - 1];
    const value = values[i] ?? '';
    if (name) out[name] = value;
    else if (value !== '') out[String(i + 1)] = value; // a value with no matching header column
  }
  return out;
}

function finish(rows: IifRow[], closed: boolean, lastLine: number): IifBlock {
  let sum = ZERO;
  for (const r of rows) if (r.amount) sum = sum.plus(r.amount);
  return { rows, firstLine: rows[0]?.line ?? lastLine, lastLine, closed, imbalance: sum.isZero() ? null : moneyText(sum) };
}

/**
 * The header rows read so far, by name, bounded in count and bytes (a header may be redeclared: it replaces).
 * A row counts with its whole line: column names may be slices that keep the line alive.
 */
class HeaderMap {
  private readonly columns = new Map<string, { names: string[]; bytes: number }>();
  private bytes = 0;
  constructor(private readonly limits: ParseLimits) {}

  get(name: string): string[] | undefined {
    return this.columns.get(name)?.names;
  }

  has(name: string): boolean {
    return this.columns.has(name);
  }

  set(name: string, names: string[], bytes: number, loc: { file: string; line: number }): void {
    const old = this.columns.get(name);
    if (!old && this.columns.size >= this.limits.maxIifHeaders) throw beyondLimit(this.limits, 'maxIifHeaders', 'more distinct header rows', loc);
    const total = this.bytes - (old?.bytes ?? 0) + bytes;
    if (total > this.limits.maxIifHeaderBytes) throw beyondLimit(this.limits, 'maxIifHeaderBytes', 'header rows of more bytes', loc);
    this.bytes = total;
    this.columns.set(name, { names, bytes });
  }
}

/** The open TRNS block, bounded in rows, bytes and fields: it is held whole until it ends. */
class OpenBlock {
  readonly rows: IifRow[] = [];
  private bytes = 0;
  private fields = 0;
  constructor(private readonly limits: ParseLimits) {}

  add(row: IifRow, lineBytes: number, fields: number, loc: { file: string; line: number }): void {
    const l = this.limits;
    const block = `transaction block from line ${this.rows[0]?.line ?? loc.line} has more`;
    if (this.rows.length >= l.maxIifBlockRows) throw beyondLimit(l, 'maxIifBlockRows', `${block} rows`, loc);
    if (this.bytes + lineBytes > l.maxIifBlockBytes) throw beyondLimit(l, 'maxIifBlockBytes', `${block} bytes`, loc);
    if (this.fields + fields > l.maxIifBlockFields) throw beyondLimit(l, 'maxIifBlockFields', `${block} fields`, loc);
    this.rows.push(row);
    this.bytes += lineBytes;
    this.fields += fields;
  }
}

/**
 * Reads IIF bytes into transaction blocks and list records, in file order. Lenient about structure
 * (repeated ENDTRNS, missing ENDTRNS, blank rows, padded headers); strict about values (a malformed
 * amount or date is a ParseError). Does not reject unbalanced blocks: it reports `imbalance`.
 * Memory is bounded by `limits` (a line, a block, the header rows); beyond them the file is refused.
 */
export async function* readIif(bytes: AsyncIterable<Buffer>, file: string, limits: ParseLimits = DEFAULT_PARSE_LIMITS): AsyncGenerator<IifItem> {
  const headers = new HeaderMap(limits);
  let lastListHeader: string | null = null;
  let block: OpenBlock | null = null;
  let blockEnd = 0;

  for await (const batch of numberedLines(decodeLines(bytes, { encoding: 'auto', file, maxLineBytes: limits.maxLineBytes }))) for (const { line, text } of batch) {
    if (text.trim() === '') continue;
    const loc = { file, line };
    const values = splitIifLine(text, iifDelimiter(text), limits.maxFieldsPerLine);
    if (values.length > limits.maxFieldsPerLine) throw beyondLimit(limits, 'maxFieldsPerLine', 'line has more fields', loc);
    const first = values[0] ?? '';
    if (values.every((v) => v === '')) continue; // a row of bare delimiters

    if (first.startsWith('!')) {
      if (block) {
        yield { type: 'transaction', block: finish(block.rows, false, blockEnd) };
        block = null;
      }
      const name = first.slice(1).toUpperCase();
      headers.set(name, values.slice(1).map((c) => c.replace(/^!/, '').toUpperCase()), text.length, loc);
      if (!TX_KINDS.has(name)) lastListHeader = name;
      continue;
    }

    const kind = first.toUpperCase();
    if (kind === 'ENDTRNS') {
      if (block) yield { type: 'transaction', block: finish(block.rows, true, line) };
      block = null; // a repeated ENDTRNS closes nothing
      continue;
    }
    if (kind === 'TRNS' || kind === 'SPL') {
      const columns = headers.get(kind);
      if (!columns) throw new ParseError('syntax', `${kind} row before any !${kind} header`, loc);
      if (kind === 'SPL' && !block) throw new ParseError('syntax', 'SPL row outside a TRNS block', loc);
      if (kind === 'TRNS' && block) yield { type: 'transaction', block: finish(block.rows, false, blockEnd) };
      const fields = toRecord(columns, values);
      let amount: Money | null;
      let date: string | null;
      try {
        amount = parseIifAmount(fields.AMOUNT ?? '');
      } catch (err) {
        throw (err as ParseError).at({ ...loc, field: 'AMOUNT' });
      }
      try {
        date = parseIifDate(fields.DATE ?? '');
      } catch (err) {
        throw (err as ParseError).at({ ...loc, field: 'DATE' });
      }
      const row: IifRow = { kind, line, fields, amount, date };
      if (kind === 'TRNS') block = new OpenBlock(limits);
      block?.add(row, text.length, values.length, loc);
      blockEnd = line;
      continue;
    }

    if (block) {
      yield { type: 'transaction', block: finish(block.rows, false, blockEnd) };
      block = null;
    }
    const header = headers.has(kind) ? kind : lastListHeader;
    if (header === null) throw new ParseError('syntax', `${kind} row without a header row`, loc);
    yield { type: 'list', record: { kind, header, line, fields: toRecord(headers.get(header) ?? [], values) }, bytes: text.length };
  }
  if (block) yield { type: 'transaction', block: finish(block.rows, false, blockEnd) };
}

function blank(v: string | undefined): string | null {
  return v === undefined || v === '' ? null : v;
}

function toTransaction(row: IifRow, trns: IifRow, ctx: ParseContext): Transaction {
  const f = row.fields;
  const amount = row.amount ?? ZERO;
  return {
    file: ctx.file,
    fileSha256: ctx.fileSha256,
    lineNumber: row.line,
    sourceBatchId: null,
    employeeId: null,
    // In a Concur bill the TRNS line's NAME is the payee: the employee.
    employeeName: blank(trns.fields.NAME),
    reportId: blank(trns.fields.DOCNUM),
    reportKey: null,
    reportName: blank(trns.fields.MEMO),
    entryId: blank(f.SPLID),
    journalKey: null,
    transactionDate: row.date,
    expenseType: null,
    description: blank(f.MEMO),
    vendor: blank(f.NAME),
    accountCode: blank(f.ACCNT),
    debitCredit: amount.isZero() ? null : amount.isNegative() ? 'CR' : 'DR',
    amount: moneyText(amount),
    currency: ctx.defaultCurrency ?? null,
    paymentType: null,
    raw: { RECORD: row.kind, ...f },
    rowKey: rowKeyOf(null, row.line),
  };
}

/**
 * The IIF file's expense lines (SPL rows) as normalized transactions. A block that does not balance rejects
 * the file with IifUnbalancedError naming its lines. TRNS is the SPL lines' offsetting payable: not a
 * transaction of its own (its NAME, DOCNUM and MEMO are the payee, report and report name of its SPL rows).
 */
export async function* parseIif(bytes: AsyncIterable<Buffer>, ctx: ParseContext, tally: FileTally, limits: ParseLimits = DEFAULT_PARSE_LIMITS): AsyncGenerator<Transaction> {
  for await (const item of readIif(bytes, ctx.file, limits)) {
    if (item.type === 'list') {
      addListRecord(tally, item.record, item.bytes);
      continue;
    }
    const { block } = item;
    if (block.imbalance !== null) throw new IifUnbalancedError(block.firstLine, block.lastLine, block.imbalance, ctx.file);
    tally.blocks++;
    const [trns] = block.rows;
    if (!trns) continue;
    for (const row of block.rows) {
      if (row.kind !== 'SPL') continue;
      const t = toTransaction(row, trns, ctx);
      tally.rows++;
      addTotal(tally, t.currency, row.amount ?? ZERO);
      addAccountTotal(tally, t.accountCode, row.amount ?? ZERO);
      yield t;
    }
  }
}
