// Transactions as lines of PostgreSQL's COPY text format, in COPY_COLUMNS order.
import type { Transaction } from '../model/transaction.js';

/** A row the database cannot hold as given (a NUL character, a malformed amount or date). */
export class LoadError extends Error {
  override name = 'LoadError';
  /** A value PostgreSQL cannot take stays so: the pipeline quarantines the batch instead of retrying. */
  readonly retryable = false;
  constructor(
    readonly detail: string,
    readonly file: string,
    /** null when the database found the problem across rows (a repeated identity) and no single line is to blame. */
    readonly line: number | null,
    readonly field: string,
  ) {
    super(`${file}${line === null ? '' : `:${line}`}: ${field}: ${detail}`);
  }
}

/** The transactions columns a COPY line writes after company_id, batch_row_id and file_id, in this order. */
export const COPY_COLUMNS = [
  ['source_file', 'text'],
  ['row_key', 'text'],
  ['line_number', 'integer'],
  ['employee_id', 'text'],
  ['employee_name', 'text'],
  ['report_id', 'text'],
  ['report_key', 'text'],
  ['report_name', 'text'],
  ['entry_id', 'text'],
  ['journal_key', 'text'],
  ['transaction_date', 'date'],
  ['expense_type', 'text'],
  ['description', 'text'],
  ['vendor', 'text'],
  ['account_code', 'text'],
  ['debit_credit', 'text'],
  ['amount', 'numeric'],
  ['currency', 'text'],
  ['payment_type', 'text'],
  ['raw', 'jsonb'],
  ['source_line', 'text'],
  ['source_fields', 'text'],
] as const;

const NEEDS_ESCAPE = /[\\\t\n\r\0]/;
const ESCAPABLE = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
// Characters a JSON string must escape (control characters among them, hence the rule's exception).
// eslint-disable-next-line no-control-regex
const JSON_SPECIAL = /["\\\u0000-\u001f]/;
const AMOUNT = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function nulError(t: Transaction, field: string): LoadError {
  // PostgreSQL text cannot hold NUL at all: refuse the row rather than alter the value.
  return new LoadError('contains a NUL character, which PostgreSQL cannot store', t.file, t.lineNumber, field);
}

function text(value: string | null, t: Transaction, field: string): string {
  if (value === null) return '\\N';
  if (!NEEDS_ESCAPE.test(value)) return value;
  if (value.includes('\0')) throw nulError(t, field);
  return value.replace(ESCAPABLE, (c) => ESCAPES[c]!);
}

/** A JSON string literal, already escaped for COPY text (JSON's backslashes doubled; it has no raw tabs or newlines). */
function jsonString(value: string, t: Transaction, field: string): string {
  if (!JSON_SPECIAL.test(value)) return `"${value}"`;
  if (value.includes('\0')) throw nulError(t, field);
  return JSON.stringify(value).replace(/\\/g, '\\\\');
}

// Raw keys repeat on every line (column names): their encoded form is worth keeping.
const keyCache = new Map<string, string>();
const KEY_CACHE_LIMIT = 10_000;

function jsonKey(key: string, t: Transaction): string {
  let encoded = keyCache.get(key);
  if (encoded === undefined) {
    encoded = `${jsonString(key, t, `raw.${key}`)}:`;
    if (keyCache.size < KEY_CACHE_LIMIT) keyCache.set(key, encoded);
  }
  return encoded;
}

// Hand-written rather than JSON.stringify: raw objects have varying key sets, which makes the generic
// serializer several times slower, and this is the hottest loop of a load.
function rawJson(raw: Record<string, string>, t: Transaction): string {
  let out = '{';
  for (const key in raw) {
    if (out.length > 1) out += ',';
    out += jsonKey(key, t) + jsonString(raw[key]!, t, `raw.${key}`);
  }
  return out + '}';
}

/** What joins a CSV record's fields in `source_fields` (U+001F, the unit separator: no real export holds it). */
const FIELD_SEPARATOR = '\u001f';

/** A CSV record's fields for `source_fields`, escaped for COPY text; null when a field holds the separator (kept by name then). */
function fieldsText(fields: readonly string[], t: Transaction): string | null {
  for (const v of fields) if (v.includes(FIELD_SEPARATOR)) return null;
  const joined = fields.join(FIELD_SEPARATOR);
  if (!NEEDS_ESCAPE.test(joined)) return joined;
  const nul = fields.findIndex((v) => v.includes('\0'));
  if (nul !== -1) throw nulError(t, `raw.${t.rawNames?.[nul] ?? nul + 1}`);
  return joined.replace(ESCAPABLE, (c) => ESCAPES[c]!);
}

/** A CSV row's header keys, for csv_headers (once per file); LoadError when one holds NUL. */
export function headerNames(t: Transaction): readonly string[] | null {
  const nul = t.rawNames?.find((name) => name.includes('\0'));
  if (nul !== undefined) throw nulError(t, `raw.${nul}`);
  return t.rawNames ?? null;
}

/** raw, source_line and source_fields: a positional format's line as it came, a CSV record's fields, else raw by name. */
function rawColumns(t: Transaction): string {
  if (t.rawLine !== undefined) return '{}\t' + text(t.rawLine, t, 'line') + '\t\\N\n';
  const fields = t.rawFields === undefined ? null : fieldsText(t.rawFields, t);
  return fields === null ? rawJson(t.raw, t) + '\t\\N\t\\N\n' : '{}\t\\N\t' + fields + '\n';
}

/** The constant start of every line of one batch's COPY: company_id, batch_row_id, file_id. */
export function copyPrefix(companyId: string, batchRowId: string | number, fileId: string | number | null): string {
  return `${companyId.replace(ESCAPABLE, (c) => ESCAPES[c]!)}\t${batchRowId}\t${fileId ?? '\\N'}\t`;
}

/** One COPY text line (with its newline) for a transaction after `prefix`; throws LoadError on values PostgreSQL would refuse. */
export function copyLine(prefix: string, t: Transaction): string {
  if (!AMOUNT.test(t.amount)) throw new LoadError(`malformed amount ${JSON.stringify(t.amount)}`, t.file, t.lineNumber, 'amount');
  if (t.transactionDate !== null && !DATE.test(t.transactionDate)) {
    throw new LoadError(`malformed date ${JSON.stringify(t.transactionDate)}`, t.file, t.lineNumber, 'transactionDate');
  }
  // Plain concatenation rather than an array join: measurably faster, and this runs for every row.
  return (
    prefix +
    text(t.file, t, 'file') + '\t' +
    text(t.rowKey, t, 'rowKey') + '\t' +
    t.lineNumber + '\t' +
    text(t.employeeId, t, 'employeeId') + '\t' +
    text(t.employeeName, t, 'employeeName') + '\t' +
    text(t.reportId, t, 'reportId') + '\t' +
    text(t.reportKey, t, 'reportKey') + '\t' +
    text(t.reportName, t, 'reportName') + '\t' +
    text(t.entryId, t, 'entryId') + '\t' +
    text(t.journalKey, t, 'journalKey') + '\t' +
    (t.transactionDate ?? '\\N') + '\t' +
    text(t.expenseType, t, 'expenseType') + '\t' +
    text(t.description, t, 'description') + '\t' +
    text(t.vendor, t, 'vendor') + '\t' +
    text(t.accountCode, t, 'accountCode') + '\t' +
    (t.debitCredit ?? '\\N') + '\t' +
    t.amount + '\t' +
    text(t.currency, t, 'currency') + '\t' +
    text(t.paymentType, t, 'paymentType') + '\t' +
    rawColumns(t)
  );
}
