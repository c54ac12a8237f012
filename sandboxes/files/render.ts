// A batch rendered as Concur would deliver it: customer CSV, QuickBooks ZIP (IIF + GL CSV), or SAE.
import iconv from 'iconv-lite';
import { stringify } from 'csv-stringify/sync';
import { generateLines, reportAt, totalsOf, type BatchSpec, type GeneratedLine } from './lines.js';
import { renderSae } from './sae.js';
import { zipBuffer } from './zip.js';
import { Money, moneyText } from '../../src/money.js';
import { SANDBOX_CSV_PROFILE, SANDBOX_PROFILE_NAME } from '../../src/config/sandbox-profile.js';

export { SANDBOX_CSV_PROFILE, SANDBOX_PROFILE_NAME };

export type BatchFileKind = 'csv' | 'quickbooks-zip' | 'sae';

export interface RenderedBatchFile {
  bytes: Buffer;
  contentType: string;
  fileName: string;
  totals: Record<string, string>;
  /** Payment demands: one per report. */
  count: number;
}

function group(int: string, sep: string): string {
  return int.replace(/\B(?=(\d{3})+(?!\d))/g, sep);
}

/** "1234.5" -> "1.234,50" (or "1,234.50" for the GL CSV). */
function formatAmount(amount: string, decimal: string, thousands: string): string {
  const [int = '0', frac = ''] = new Money(amount).toFixed(2).split('.');
  return `${group(int, thousands)}${decimal}${frac}`;
}

function usDate(iso: string): string {
  return `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`;
}

function baseName(spec: BatchSpec): string {
  return `batch_${spec.batchId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

function renderCsv(lines: GeneratedLine[]): Buffer {
  const rows = lines.map((l) => [
    l.employeeId, l.employeeName, l.reportId, l.reportName, l.entryId,
    `${l.transactionDate.slice(8, 10)}.${l.transactionDate.slice(5, 7)}.${l.transactionDate.slice(0, 4)}`,
    l.expenseType, l.description, l.vendor, l.accountCode, formatAmount(l.amount, ',', '.'), l.currency,
  ]);
  const header = ['Employee ID', 'Employee Name', 'Report ID', 'Report Name', 'Entry ID', 'Date', 'Expense Type', 'Description', 'Vendor', 'Account', 'Amount', 'Currency'];
  const text = stringify([header, ...rows], { delimiter: ';', record_delimiter: 'windows' });
  return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);
}

/** IIF text field: quoted when it holds a quote, so a leading quote is not read as quoting. */
function iifField(v: string): string {
  return v.includes('"') ? `"${v.replaceAll('"', '""')}"` : v;
}

/** One balanced BILL per report: TRNS credits Accounts Payable, one SPL debit per expense line. */
function renderIif(spec: BatchSpec, lines: GeneratedLine[]): Buffer {
  const out = [
    '!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO',
    '!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO',
    '!ENDTRNS',
  ];
  for (let r = 0; r < spec.reports; r++) {
    const rep = lines.slice(r * spec.linesPerReport, (r + 1) * spec.linesPerReport);
    const first = rep[0];
    if (!first) continue;
    const total = rep.reduce((s, l) => s.plus(l.amount), new Money(0));
    const date = usDate(spec.closeDate);
    out.push(['TRNS', `T${reportAt(spec, r).reportKey}`, 'BILL', date, 'Accounts Payable', first.employeeName, moneyText(total.negated()), first.reportId, first.reportName].map(iifField).join('\t'));
    for (const l of rep) {
      out.push(['SPL', l.entryId, 'BILL', usDate(l.transactionDate), l.accountCode, l.vendor, l.amount, l.reportId, l.description].map(iifField).join('\t'));
    }
    out.push('ENDTRNS');
  }
  return iconv.encode(out.join('\r\n') + '\r\n', 'windows-1252');
}

function renderGlCsv(lines: GeneratedLine[]): Buffer {
  const header = ['Date', 'Account', 'Debit', 'Credit', 'Memo', 'Employee', 'Vendor', 'Report ID', 'Entry ID', 'Expense Type', 'Currency'];
  const rows = lines.map((l) => [
    usDate(l.transactionDate), l.accountCode, formatAmount(l.amount, '.', ','), '', l.description, l.employeeName, l.vendor, l.reportId, l.entryId, l.expenseType, l.currency,
  ]);
  return Buffer.from(stringify([header, ...rows], { record_delimiter: 'windows' }), 'utf8');
}

export function renderBatchFile(kind: BatchFileKind, spec: BatchSpec): RenderedBatchFile {
  const base = baseName(spec);
  if (kind === 'sae') {
    const { text } = renderSae(spec);
    const lines = generateLines(spec);
    return { bytes: Buffer.from(text, 'utf8'), contentType: 'text/plain', fileName: `extract_CES_SAE_v3_${base}.txt`, totals: totalsOf(lines), count: spec.reports };
  }
  if (kind === 'csv') {
    const lines = generateLines(spec);
    return { bytes: renderCsv(lines), contentType: 'text/csv', fileName: `${base}.csv`, totals: totalsOf(lines), count: spec.reports };
  }
  // IIF cannot state a currency: a QuickBooks batch is in one currency.
  const single = { ...spec, currency: spec.currency ?? 'USD' };
  const lines = generateLines(single);
  const bytes = zipBuffer([
    { name: `${base}.iif`, data: renderIif(single, lines) },
    { name: `${base}_GL.csv`, data: renderGlCsv(lines) },
  ]);
  return { bytes, contentType: 'application/zip', fileName: `${base}.zip`, totals: totalsOf(lines), count: spec.reports };
}
