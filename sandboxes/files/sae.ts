// SAE rendering: the EXTRACT header and 400-field DETAIL lines at the positions of sae-layout.csv.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Money, moneyText } from '../../src/money.js';
import { SAE_DETAIL_COLUMNS } from '../../parsers/sae.js';
import { amountAt, lineAt, reportAt, type BatchSpec, type GeneratedReport } from './lines.js';

function reportTotal(spec: BatchSpec, report: number): string {
  let sum = new Money(0);
  for (let j = 0; j < spec.linesPerReport; j++) sum = sum.plus(amountAt(spec, report, j));
  return moneyText(sum);
}

export function saeHeader(spec: BatchSpec, count: number, total: string): string {
  return `EXTRACT|${spec.closeDate.slice(0, 10)}|${count}|${total}|${spec.batchId}\n`;
}

/** One DETAIL line (with its newline); `seq` is the 1-based sequence number in the file. */
export function saeDetail(spec: BatchSpec, rep: GeneratedReport, repTotal: string, line: number, seq: number): string {
  const l = lineAt(spec, rep, line);
  const date = spec.closeDate.slice(0, 10);
  const email = `${l.employeeId.toLowerCase()}@example.com`;
  // Column number (1-based, as in sae-layout.csv) -> value; every other column stays empty.
  const values: Record<number, string> = {
    1: 'DETAIL', 2: spec.batchId, 3: date, 4: String(seq), 5: l.employeeId, 6: rep.lastName, 7: rep.firstName,
    9: 'EMP-STD', 10: 'Sales', 11: 'EMEA', 19: rep.reportId, 20: rep.reportKey, 21: 'DEFAULT', 22: l.currency,
    23: 'Germany', 24: date, 26: date, 27: rep.reportName, 28: 'Y', 29: 'N', 30: 'N', 31: repTotal, 32: repTotal,
    33: 'Standard Travel Policy', 61: l.entryId, 62: 'REG', 63: l.expenseType, 64: l.transactionDate, 65: l.currency,
    66: '1.00000000', 67: 'M', 68: 'N', 69: l.description, 70: l.vendor, 72: 'Y', 73: 'T', 123: l.amount, 124: l.amount,
    125: l.amount, 126: 'CASH', 127: 'IBIP', 128: 'Expense Pay', 163: 'Company', 164: 'Company/Cash', 165: 'Employee',
    166: 'Employee/Cash', 167: l.accountCode, 168: 'DR', 169: l.amount, 170: l.journalKey, 250: 'Cash',
    264: email, 265: email, 312: repTotal, 313: repTotal, 321: 'Expense Report', 334: rep.city,
  };
  const f: string[] = new Array<string>(SAE_DETAIL_COLUMNS).fill('');
  for (const [col, v] of Object.entries(values)) f[Number(col) - 1] = v;
  return f.join('|') + '\n';
}

/** Visits the DETAIL positions of a file with `detailLines` lines: report index and line within it. */
function* positions(spec: BatchSpec, detailLines: number): Generator<[number, number]> {
  for (let i = 0; i < detailLines; i++) yield [Math.floor(i / spec.linesPerReport), i % spec.linesPerReport];
}

/** The whole SAE of a batch (reports x linesPerReport DETAIL lines). */
export function renderSae(spec: BatchSpec): { text: string; total: string } {
  const n = spec.reports * spec.linesPerReport;
  let total = new Money(0);
  for (const [r, j] of positions(spec, n)) total = total.plus(amountAt(spec, r, j));
  const parts = [saeHeader(spec, n, moneyText(total))];
  let rep: GeneratedReport | null = null;
  let repTotal = '';
  let seq = 0;
  for (const [r, j] of positions(spec, n)) {
    if (rep?.index !== r) {
      rep = reportAt(spec, r);
      repTotal = reportTotal(spec, r);
    }
    parts.push(saeDetail(spec, rep, repTotal, j, ++seq));
  }
  return { text: parts.join(''), total: moneyText(total) };
}

/**
 * Streams a huge SAE to disk in constant memory: a first pass sums the amounts for the header
 * (every amount is a pure function of its position), the second writes the lines with back-pressure.
 */
export async function writeSaeFile(path: string, spec: BatchSpec & { detailLines: number }): Promise<{ bytes: number; total: string }> {
  let sum = new Money(0);
  for (const [r, j] of positions(spec, spec.detailLines)) sum = sum.plus(amountAt(spec, r, j));
  const total = moneyText(sum);
  const out = createWriteStream(path);
  let bytes = 0;
  let buf = saeHeader(spec, spec.detailLines, total);
  let rep: GeneratedReport | null = null;
  let repTotal = '';
  let seq = 0;
  const flush = async (): Promise<void> => {
    bytes += Buffer.byteLength(buf);
    const ok = out.write(buf);
    buf = '';
    if (!ok) await once(out, 'drain');
  };
  for (const [r, j] of positions(spec, spec.detailLines)) {
    if (rep?.index !== r) {
      rep = reportAt(spec, r);
      repTotal = reportTotal(spec, r);
    }
    buf += saeDetail(spec, rep, repTotal, j, ++seq);
    if (buf.length > 1 << 20) await flush();
  }
  await flush();
  out.end();
  await once(out, 'close');
  return { bytes, total };
}
