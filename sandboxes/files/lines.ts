// Deterministic, realistic expense lines for a batch: every value is a pure function of (seed, batch, index).
import { Money, moneyText } from '../../src/money.js';

export interface GeneratedLine {
  employeeId: string;
  employeeName: string;
  reportId: string;
  reportName: string;
  entryId: string;
  /** Unique within the batch (the SAE's column 170), unlike the entry id, which splits and itemizations share. */
  journalKey: string;
  expenseType: string;
  description: string;
  vendor: string;
  accountCode: string;
  transactionDate: string /* ISO */;
  amount: string;
  currency: string;
}

export interface BatchSpec {
  batchId: string;
  batchName: string;
  closeDate: string /* ISO date */;
  seed: number;
  reports: number;
  linesPerReport: number;
  currency?: string;
}

/** Report-level facts that several renderers need beyond GeneratedLine. */
export interface GeneratedReport {
  index: number;
  employeeId: string;
  firstName: string;
  lastName: string;
  reportId: string;
  reportKey: string;
  reportName: string;
  currency: string;
  city: string;
}

// Names stay inside Windows-1252 so the IIF (written in that encoding, as QuickBooks does) keeps them.
const EMPLOYEES: ReadonlyArray<readonly [string, string]> = [
  ['José', 'Álvarez'], ['Zoë', 'Müller'], ['François', 'Lefèvre'], ['Søren', 'Ødegård'], ['Ana', 'Núñez'],
  ['Björn', 'Große'], ['Chloé', 'Dubois'], ['Renée', "O'Brien"], ['Mårten', 'Åström'], ['Inês', 'Gonçalves'],
];
const CITIES = ['Zürich', 'München', 'São Paulo', 'Montréal', 'Kraków', 'Reykjavík', 'Chicago', 'Málaga'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const EXPENSES: ReadonlyArray<readonly [string, string]> = [
  ['Airfare', '6100'], ['Hotel', '6110'], ['Meals', '6120'], ['Taxi', '6130'], ['Car Rental', '6140'], ['Train', '6150'], ['Office Supplies', '6200'],
];
const VENDORS = ['Lufthansa', 'Hôtel du Café', 'Uber', "McDonald's", 'Café "Central"', 'Deutsche Bahn', 'Staples, Inc.', 'Hertz'];
const CURRENCIES = ['USD', 'EUR', 'GBP', 'CHF'];

/** 32-bit mixing of several integers (murmur3's finaliser over a running hash). */
function mix(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

function hashText(s: string): number {
  return mix(...Array.from(s, (c) => c.codePointAt(0) ?? 0));
}

/** mulberry32: small, fast, good enough for test data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(r: () => number, items: readonly T[]): T {
  return items[Math.floor(r() * items.length)] as T;
}

function hex(r: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(r() * 16).toString(16).toUpperCase();
  return s;
}

export function reportAt(spec: BatchSpec, index: number): GeneratedReport {
  const r = rng(mix(spec.seed, hashText(spec.batchId), 1, index));
  const [firstName, lastName] = pick(r, EMPLOYEES);
  const empNo = EMPLOYEES.findIndex(([f]) => f === firstName);
  const city = pick(r, CITIES);
  const month = MONTHS[Number(spec.closeDate.slice(5, 7)) - 1] ?? 'June';
  return {
    index,
    employeeId: `E${1001 + empNo}`,
    firstName,
    lastName,
    reportId: hex(r, 20),
    // Unique within the batch (a random key collided across reports, and with it the entry and journal keys).
    reportKey: String(100000 + index),
    reportName: `${city} trip, ${month} "${spec.batchName.replaceAll("|", "/")}"`,
    currency: spec.currency ?? pick(r, CURRENCIES),
    city,
  };
}

/** The amount of line `line` of report `report`, in cents: the first draw, so totals need nothing else. */
function lineRng(spec: BatchSpec, report: number, line: number): () => number {
  return rng(mix(spec.seed, hashText(spec.batchId), 2, report, line));
}

function centsText(cents: number): string {
  return `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
}

export function amountAt(spec: BatchSpec, report: number, line: number): string {
  return centsText(100 + Math.floor(lineRng(spec, report, line)() * 199_900));
}

function isoMinusDays(iso: string, days: number): string {
  const d = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

/**
 * Every second line of a report (1, 3, …) belongs to the entry of the line before it, as Concur writes an entry
 * allocated to two cost centres (same expense type, other account) or itemized (another expense type): lines
 * that share report and entry ids and differ in account and amount. Every kind of file has them.
 */
function entryLineOf(line: number): number {
  return line - (line % 2);
}

/** The expense type and account of a line: the second draw of its generator, after the amount. */
function expenseAt(spec: BatchSpec, report: number, line: number): readonly [string, string] {
  const r = lineRng(spec, report, line);
  r();
  return pick(r, EXPENSES);
}

export function lineAt(spec: BatchSpec, rep: GeneratedReport, line: number): GeneratedLine {
  const r = lineRng(spec, rep.index, line);
  const amount = centsText(100 + Math.floor(r() * 199_900));
  const [ownType, accountCode] = pick(r, EXPENSES);
  // An allocation split (even reports) keeps its entry's expense type on another account; an itemization (odd reports) has its own.
  const split = line % 2 === 1 && rep.index % 2 === 0;
  const expenseType = split ? expenseAt(spec, rep.index, entryLineOf(line))[0] : ownType;
  const vendor = pick(r, VENDORS);
  const description = pick(r, [
    `Dinner with client, "Acme" team`,
    `${expenseType} ${rep.city}, ${1 + Math.floor(r() * 4)} nights`,
    `Taxi to airport, ${rep.city}`,
    `Working lunch; project "Nord", phase 2`,
    `Supplies for the ${rep.city} office`,
  ]);
  return {
    employeeId: rep.employeeId,
    employeeName: `${rep.firstName} ${rep.lastName}`,
    reportId: rep.reportId,
    reportName: rep.reportName,
    entryId: `${rep.reportKey}${String(entryLineOf(line) + 1).padStart(3, '0')}`,
    journalKey: `${rep.reportKey}${String(line + 1).padStart(3, '0')}`,
    expenseType,
    description,
    vendor,
    accountCode,
    transactionDate: isoMinusDays(spec.closeDate, 1 + Math.floor(r() * 60)),
    amount,
    currency: rep.currency,
  };
}

/** All lines of a batch, reports in order; deterministic from the spec. */
export function generateLines(spec: BatchSpec): GeneratedLine[] {
  const out: GeneratedLine[] = [];
  for (let i = 0; i < spec.reports; i++) {
    const rep = reportAt(spec, i);
    for (let j = 0; j < spec.linesPerReport; j++) out.push(lineAt(spec, rep, j));
  }
  return out;
}

/** Exact totals per currency, as canonical strings. */
export function totalsOf(lines: Iterable<{ amount: string; currency: string }>): Record<string, string> {
  const sums = new Map<string, Money>();
  for (const l of lines) sums.set(l.currency, (sums.get(l.currency) ?? new Money(0)).plus(l.amount));
  return Object.fromEntries([...sums].map(([c, v]) => [c, moneyText(v)]));
}
