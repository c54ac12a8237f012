// One small batch written in every file kind Concur delivers, with an allocation split, an itemized entry and a
// repeated entry id: lines that share report and entry ids and must each be stored.
import { CsvProfileSchema } from '../../parsers/csv-profile.js';
import { SAE_DETAIL_COLUMNS } from '../../parsers/sae.js';
import { zipBuffer } from '../../sandboxes/files/index.js';
import { Money, moneyText } from '../../src/money.js';
import { SANDBOX_CSV_HEADER } from './world.js';

export interface SplitLine {
  report: string;
  entry: string;
  account: string;
  type: string;
  amount: string;
  /** Default EUR; an IIF states none (the batch's applies). */
  currency?: string;
}

const sumOf = (lines: readonly SplitLine[]): Money => lines.reduce((s, l) => s.plus(l.amount), new Money(0));

export const SPLIT_LINES: readonly SplitLine[] = [
  { report: 'R1', entry: 'E1', account: '6100', type: 'Airfare', amount: '100.00' },
  { report: 'R1', entry: 'E1', account: '6200', type: 'Airfare', amount: '50.00' }, // allocation split: another cost centre
  { report: 'R1', entry: 'E2', account: '6110', type: 'Hotel', amount: '80.00' },
  { report: 'R1', entry: 'E2', account: '6120', type: 'Meals', amount: '20.00' }, // itemization: another expense type
  { report: 'R2', entry: 'E3', account: '6130', type: 'Taxi', amount: '12.50' },
  { report: 'R2', entry: 'E3', account: '6130', type: 'Taxi', amount: '12.50' }, // repeated entry id, identical line
];
export const SPLIT_TOTAL = '275.00';
export const SPLIT_REPORTS = 2;

const de = (amount: string) => amount.replace('.', ',');

/** The sandbox's customer CSV layout, with report and entry ids. */
export function csvWithIds(lines: readonly SplitLine[] = SPLIT_LINES): Buffer {
  const rows = lines.map((l) => `E1001;Ana Lima;${l.report};Trip;${l.entry};02.11.2026;${l.type};${l.type} in Zürich;Vendor;${l.account};${de(l.amount)};${l.currency ?? 'EUR'}`);
  return Buffer.from([SANDBOX_CSV_HEADER, ...rows].join('\r\n') + '\r\n');
}

/** A customer CSV without report or entry columns: only its lines' places tell them apart. */
export const NO_IDS_PROFILE = CsvProfileSchema.parse({ columns: { transactionDate: 'Date', accountCode: 'Account', description: 'Description', amount: 'Amount', currency: 'Currency' } });
export function csvWithoutIds(lines: readonly SplitLine[] = SPLIT_LINES): Buffer {
  return Buffer.from(['Date,Account,Description,Amount,Currency', ...lines.map((l) => `2026-11-02,${l.account},${l.type},${l.amount},${l.currency ?? 'EUR'}`)].join('\n') + '\n');
}

/** An SAE: EXTRACT header and 400-field DETAIL lines, journal keys unique per line. */
export function sae(concurBatchId: string, lines: readonly SplitLine[] = SPLIT_LINES): Buffer {
  const details = lines.map((l, i) => {
    const f = new Array<string>(SAE_DETAIL_COLUMNS).fill('');
    const set: Record<number, string> = { 1: 'DETAIL', 2: concurBatchId, 5: 'E1001', 6: 'Lima', 7: 'Ana', 19: l.report, 22: l.currency ?? 'EUR', 61: l.entry, 63: l.type, 64: '2026-11-02', 65: l.currency ?? 'EUR', 167: l.account, 168: 'DR', 169: l.amount, 170: `J${i + 1}` };
    for (const [col, v] of Object.entries(set)) f[Number(col) - 1] = v;
    return f.join('|');
  });
  return Buffer.from([`EXTRACT|2026-11-03|${lines.length}|${moneyText(sumOf(lines))}|${concurBatchId}`, ...details].join('\n') + '\n');
}

/** An IIF: one balanced BILL per report, one SPL per line. */
export function iif(lines: readonly SplitLine[] = SPLIT_LINES): Buffer {
  const out = ['!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO', '!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO', '!ENDTRNS'];
  for (const report of [...new Set(lines.map((l) => l.report))]) {
    const mine = lines.filter((l) => l.report === report);
    out.push(`TRNS\tT${report}\tBILL\t11/03/2026\tAccounts Payable\tAna Lima\t${moneyText(sumOf(mine).negated())}\t${report}\tTrip`);
    for (const l of mine) out.push(`SPL\t${l.entry}\tBILL\t11/02/2026\t${l.account}\tVendor\t${l.amount}\t${report}\t${l.type}`);
    out.push('ENDTRNS');
  }
  return Buffer.from(out.join('\r\n') + '\r\n');
}

/** The GL CSV in the layout the built-in `quickbooks-gl` profile expects. */
export function glCsv(lines: readonly SplitLine[] = SPLIT_LINES): Buffer {
  const rows = lines.map((l) => `11/02/2026,${l.account},${l.amount},,${l.type},Ana Lima,Vendor,${l.report},${l.entry},${l.type},${l.currency ?? 'EUR'}`);
  return Buffer.from(['Date,Account,Debit,Credit,Memo,Employee,Vendor,Report ID,Entry ID,Expense Type,Currency', ...rows].join('\r\n') + '\r\n');
}

/** A GL CSV in another layout (the one a real tenant sent), which the built-in guess does not recognise. */
export const FOREIGN_GL_PROFILE = CsvProfileSchema.parse({
  dateFormat: 'yyyy-MM-dd',
  columns: { sourceBatchId: 'Batch ID', reportId: 'Report ID', employeeId: 'Employee ID', transactionDate: 'Transaction Date', expenseType: 'Expense Type', accountCode: 'Account Code', amount: 'Amount', currency: 'Currency' },
});
export function foreignGlCsv(concurBatchId: string, lines: readonly SplitLine[] = SPLIT_LINES): Buffer {
  const rows = lines.map((l) => `${concurBatchId},${l.report},E1001,2026-11-02,${l.type},${l.account},${l.amount},${l.currency ?? 'EUR'}`);
  return Buffer.from(['Batch ID,Report ID,Employee ID,Transaction Date,Expense Type,Account Code,Amount,Currency', ...rows].join('\n') + '\n');
}

/** A QuickBooks bundle: the IIF and a GL CSV (`_GL.csv`). */
export function bundle(base: string, gl: Buffer, lines: readonly SplitLine[] = SPLIT_LINES): Buffer {
  return zipBuffer([{ name: `${base}.iif`, data: iif(lines) }, { name: `${base}_GL.csv`, data: gl }]);
}
