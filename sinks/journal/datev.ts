// DATEV-Format "Buchungsstapel" (EXTF, header version 700, category 21, format version 13) as DATEV's
// developer portal describes it: Windows-1252, ';', CRLF, texts in double quotes (quotes doubled, no control
// characters), decimal comma, a 31-field header record, then the column headings, then one booking per line.
// A booking carries both sides (Konto = the expense account, Gegenkonto = the payable account), so no payable
// lines are added here.
import { Money } from '../../src/money.js';
import { formatUtc } from '../date-format.js';
import { SinkError } from '../sink.js';
import type { DatevFormat } from './config.js';
import { payableAccountOf, type JournalLine, type PayableSettings, type Rendered, type StoredJournal } from './lines.js';
import { encode, representable } from './text.js';

/** The first 14 columns of the Buchungsstapel, named as DATEV names them; the later ones are optional and left out. */
export const DATEV_COLUMNS = [
  'Umsatz (ohne Soll/Haben-Kz)',
  'Soll/Haben-Kennzeichen',
  'WKZ Umsatz',
  'Kurs',
  'Basis-Umsatz',
  'WKZ Basis-Umsatz',
  'Konto',
  'Gegenkonto (ohne BU-Schlüssel)',
  'BU-Schlüssel',
  'Belegdatum',
  'Belegfeld 1',
  'Belegfeld 2',
  'Skonto',
  'Buchungstext',
] as const;

const MAX_TEXT = 60; // Buchungstext
const MAX_BELEGFELD1 = 36;
const MAX_BEZEICHNUNG = 30;

/** A DATEV text field: Windows-1252 characters, control characters as spaces, cut to `max`, quoted. */
export function datevText(value: string, max = Infinity): string {
  const clean = representable(value.replace(/\p{Cc}+/gu, ' '), 'windows-1252').trim();
  return `"${[...clean].slice(0, max).join('').trimEnd().replace(/"/g, '""')}"`;
}

const ymd = (iso: string) => iso.replace(/-/g, '');

function fail(line: JournalLine, message: string): never {
  const where = line.journalKey ? `journal key ${line.journalKey}` : `report ${line.reportId ?? '?'} entry ${line.entryId ?? '?'}`;
  throw new SinkError('config', `DATEV export of batch ${line.batchId}, ${where}: ${message}`);
}

/** Umsatz: positive, exactly two decimals, at most ten integer digits. */
function umsatz(line: JournalLine): string {
  const abs = new Money(line.amount).abs();
  if (!abs.equals(abs.toDecimalPlaces(2))) fail(line, `amount ${line.amount} has more than two decimals, which DATEV cannot hold`);
  const text = abs.toFixed(2);
  if (!/^\d{1,10}\.\d{2}$/.test(text)) fail(line, `amount ${line.amount} is too large for DATEV`);
  return text.replace('.', ',');
}

function account(line: JournalLine, f: DatevFormat): string {
  const code = line.accountCode ?? '';
  const konto = f.accounts[code] ?? code;
  if (!/^\d{1,9}$/.test(konto)) fail(line, `account "${code}" is not a DATEV account number; map it under accounts`);
  return konto;
}

function header(j: StoredJournal, f: DatevFormat, from: string, to: string): string {
  const [mm, dd] = f.fiscalYearStart.split('-');
  let year = Number(from.slice(0, 4));
  if (`${mm}${dd}` > from.slice(4)) year -= 1;
  const fiscalStart = `${year}${mm}${dd}`;
  const nextStart = `${year + 1}${mm}${dd}`;
  if (to >= nextStart) throw new SinkError('config', `DATEV export of batch ${j.concurBatchId}: its dates ${from}–${to} span two fiscal years (from ${fiscalStart}); DATEV needs one file per fiscal year`);
  const created = formatUtc(j.closeDate, 'yyyyMMddHHmmss') + String(j.closeDate.getUTCMilliseconds()).padStart(3, '0');
  const currency = j.currency && /^[A-Z]{3}$/.test(j.currency) ? j.currency : 'EUR';
  return [
    '"EXTF"', '700', '21', '"Buchungsstapel"', '13', created, '', '"RE"', '""', '""',
    String(f.advisorNumber), String(f.clientNumber), fiscalStart, String(f.accountLength), from, to,
    datevText(j.batchName, MAX_BEZEICHNUNG), '""', '1', '0', '0', `"${currency}"`, '', '""', '', '',
    `"${f.chartOfAccounts ?? ''}"`, '', '', '""', '""',
  ].join(';');
}

function bookingText(l: JournalLine): string {
  const what = [l.expenseType, l.vendor].filter(Boolean).join(' ');
  return [l.employeeName ?? l.employeeId, what || l.description].filter(Boolean).join(': ');
}

export function renderDatev(j: StoredJournal, lines: readonly JournalLine[], f: DatevFormat, payable: PayableSettings): Rendered {
  const expense = lines.filter((l) => l.lineType === 'expense');
  const closeIso = j.closeDate.toISOString().slice(0, 10);
  const dates = expense.map((l) => ymd(l.transactionDate ?? closeIso)).sort();
  const from = dates[0] ?? ymd(closeIso);
  const to = dates.at(-1) ?? ymd(closeIso);
  const written: Rendered['written'] = [];
  const records = expense.map((l) => {
    const amount = umsatz(l);
    const soll = !new Money(l.amount).isNegative();
    const contra = payableAccountOf(payable, l.employeeId);
    if (!/^\d{1,9}$/.test(contra)) fail(l, `payable account "${contra}" is not a DATEV account number`);
    const date = l.transactionDate ?? closeIso;
    const currency = l.currency && /^[A-Z]{3}$/.test(l.currency) ? l.currency : '';
    written.push({ currency: l.currency ?? '', amount: `${soll ? '' : '-'}${amount.replace(',', '.')}`, lineType: 'expense' });
    return [
      amount, soll ? '"S"' : '"H"', `"${currency}"`, '', '', '""', account(l, f), contra, '""',
      `${date.slice(8, 10)}${date.slice(5, 7)}`,
      `"${(l.reportId ?? '').replace(/[^A-Za-z0-9_$%/-]/g, '').slice(0, MAX_BELEGFELD1)}"`,
      '""', '', datevText(bookingText(l), MAX_TEXT),
    ].join(';');
  });
  const text = [header(j, f, from, to), DATEV_COLUMNS.join(';'), ...records].map((r) => `${r}\r\n`).join('');
  return { bytes: encode(text, 'windows-1252'), written };
}
