// Pure mapping from a batch's stored transactions to Xero bills and the batch payment that pays them.
import { createHash } from 'node:crypto';
import { Money, moneyText, ZERO } from '../../src/money.js';
import type { BankAccountRef, ContactRef, XeroSinkConfig } from './config.js';
import { JsonDecimal, type JsonOut } from './json.js';

/** One stored transaction line, as src/store/xero.ts reads it. */
export interface ReportLine {
  reportId: string | null;
  reportName: string | null;
  employeeId: string | null;
  employeeName: string | null;
  accountCode: string | null;
  expenseType: string | null;
  description: string | null;
  amount: string;
  currency: string | null;
  paymentType: string | null;
  /** Where the line is, for people: `file:line`. */
  lineRef: string;
  raw: Record<string, string>;
}

/** One payment demand: the lines of one expense report, owed to one employee. */
export interface Report {
  reportId: string;
  reportName: string | null;
  employeeId: string | null;
  employeeName: string | null;
  currency: string | null;
  /** Exact decimal text. */
  total: string;
  lines: ReportLine[];
}

/** A problem with one element (a report, its bill or its payment), named so a person can find it. */
export interface ElementProblem {
  reportId: string | null;
  message: string;
}

/** Xero's limits on the batch payment's bank-statement fields. */
export const LIMITS = { reference: 255, details: 18, particulars: 12, code: 12, invoiceNumber: 255, description: 4000 } as const;

/** Groups lines by report, keeping only lines owed to employees; reports with a total ≤ 0 are owed nothing. */
export function groupReports(lines: readonly ReportLine[], config: Pick<XeroSinkConfig, 'paymentTypes'>): { reports: Report[]; problems: ElementProblem[]; skipped: string[] } {
  const wanted = config.paymentTypes && new Set(config.paymentTypes);
  const byReport = new Map<string, ReportLine[]>();
  const problems: ElementProblem[] = [];
  for (const line of lines) {
    if (wanted && !wanted.has(line.paymentType ?? '')) continue;
    if (!line.reportId) {
      problems.push({ reportId: null, message: `transaction ${line.lineRef} has no report id: it cannot be matched to a bill` });
      continue;
    }
    byReport.set(line.reportId, [...(byReport.get(line.reportId) ?? []), line]);
  }
  const reports: Report[] = [];
  const skipped: string[] = [];
  for (const [reportId, rl] of byReport) {
    const currencies = new Set(rl.map((l) => l.currency ?? ''));
    const employees = new Set(rl.map((l) => l.employeeId ?? l.employeeName ?? ''));
    if (currencies.size > 1) problems.push({ reportId, message: `report ${reportId} mixes currencies ${[...currencies].join(', ')}` });
    else if (employees.size > 1) problems.push({ reportId, message: `report ${reportId} has lines of several employees` });
    else if (/["\\]/.test(reportId) || reportId.length > LIMITS.invoiceNumber) problems.push({ reportId, message: `report id ${JSON.stringify(reportId)} cannot be a Xero invoice number` });
    else {
      const total = rl.reduce((sum, l) => sum.plus(l.amount), ZERO);
      if (total.lte(0)) skipped.push(reportId);
      else {
        const first = rl[0]!;
        reports.push({ reportId, reportName: first.reportName, employeeId: first.employeeId, employeeName: first.employeeName, currency: first.currency, total: moneyText(total), lines: rl });
      }
    }
  }
  return { reports, problems, skipped };
}

/** The bank account that pays a batch: the one of its currency, else the default; a problem naming the currency otherwise. */
export function bankAccountFor(reports: readonly Report[], config: Pick<XeroSinkConfig, 'bankAccount' | 'bankAccounts'>): { account: BankAccountRef } | { problem: string } {
  const currencies = [...new Set(reports.map((r) => r.currency ?? ''))].sort();
  if (currencies.length > 1) return { problem: `the reports are in several currencies (${currencies.join(', ')}); one batch payment pays one currency` };
  const currency = currencies[0] ?? '';
  const account = (currency ? config.bankAccounts[currency] : undefined) ?? config.bankAccount;
  if (account) return { account };
  return { problem: currency ? `no Xero bank account for currency ${currency}: add bankAccounts.${currency} (or bankAccount for any currency)` : 'the batch states no currency and no default bankAccount is set' };
}

export function contactFor(report: Report, contacts: XeroSinkConfig['contacts']): ContactRef | null {
  const mapped = (report.employeeId !== null ? contacts.byEmployeeId[report.employeeId] : undefined) ?? (report.employeeName !== null ? contacts.byName[report.employeeName] : undefined);
  if (mapped) return mapped;
  return contacts.fallback === 'employee-name' && report.employeeName ? { name: report.employeeName.slice(0, 255) } : null;
}

/** Calendar date of the batch's close as Xero takes it (the close instant's UTC date). */
export function xeroDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Reads Xero's `/Date(1737072000000+0000)/` (or an ISO text) as a Date; null when neither. */
export function parseXeroDate(text: unknown): Date | null {
  if (typeof text !== 'string') return null;
  const m = /^\/Date\((-?\d+)([+-]\d{4})?\)\/$/.exec(text);
  const d = m ? new Date(Number(m[1])) : new Date(text);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The bills (PUT /Invoices elements) of `reports`; problems name the report and line that cannot be mapped. */
export function billsBody(reports: readonly Report[], config: XeroSinkConfig, closeDate: Date): { invoices: JsonOut[]; problems: ElementProblem[] } {
  const problems: ElementProblem[] = [];
  const invoices: JsonOut[] = [];
  for (const r of reports) {
    const contact = contactFor(r, config.contacts);
    if (!contact) {
      problems.push({ reportId: r.reportId, message: `report ${r.reportId}: no Xero contact for employee ${r.employeeId ?? '?'} (${r.employeeName ?? 'no name'}); map it under contacts` });
      continue;
    }
    const lineItems: JsonOut[] = [];
    for (const l of r.lines) {
      const code = (l.accountCode !== null ? config.accounts[l.accountCode] : undefined) ?? config.defaultAccountCode;
      if (!code) {
        problems.push({ reportId: r.reportId, message: `report ${r.reportId}, transaction ${l.lineRef}: Concur account code ${JSON.stringify(l.accountCode)} has no Xero account (accounts / defaultAccountCode)` });
        continue;
      }
      const tracking = trackingOf(l, config.tracking);
      lineItems.push({
        Description: ([l.expenseType, l.description].filter(Boolean).join(': ') || l.lineRef).slice(0, LIMITS.description),
        Quantity: new JsonDecimal('1'),
        UnitAmount: new JsonDecimal(l.amount),
        AccountCode: code,
        Tracking: tracking.length ? tracking : undefined,
      });
    }
    const date = xeroDate(closeDate);
    invoices.push({
      Type: 'ACCPAY',
      Contact: 'contactId' in contact ? { ContactID: contact.contactId } : { Name: contact.name },
      InvoiceNumber: r.reportId,
      Reference: (r.reportName ?? '').slice(0, 255) || undefined,
      Date: date,
      DueDate: date,
      CurrencyCode: r.currency || undefined,
      LineAmountTypes: config.lineAmountTypes,
      Status: 'AUTHORISED',
      LineItems: lineItems,
    });
  }
  return { invoices, problems };
}

function trackingOf(line: ReportLine, tracking: XeroSinkConfig['tracking']): JsonOut[] {
  const out: JsonOut[] = [];
  for (const t of tracking) {
    const option = 'option' in t ? t.option : fieldValue(line, t.field);
    if (option) out.push({ Name: t.name, Option: option });
  }
  return out;
}

function fieldValue(line: ReportLine, field: string): string | null {
  const known = (line as unknown as Record<string, unknown>)[field];
  return typeof known === 'string' ? known : (line.raw[field] ?? null);
}

export interface BatchIdentity {
  company: string;
  concurBatchId: string;
  batchName: string;
}

/** Our reference on the batch payment: unique per company and batch, so a lookup finds what we posted. */
export function paymentReference(b: BatchIdentity): string {
  // No double quotes or backslashes: the reference is looked up inside a quoted where filter.
  return `Concur ${b.company}/${b.concurBatchId} ${b.batchName}`.replace(/["\\]/g, "'").slice(0, LIMITS.reference).trimEnd();
}

export interface Payable {
  reportId: string;
  invoiceId: string;
  amount: string;
}

/** The body of PUT /BatchPayments: one PAYBATCH paying every bill its report's total. */
export function batchPaymentBody(b: BatchIdentity, closeDate: Date, bankAccount: BankAccountRef, payables: readonly Payable[]): JsonOut {
  return {
    BatchPayments: [
      {
        Account: 'code' in bankAccount ? { Code: bankAccount.code } : { AccountID: bankAccount.accountId },
        Reference: paymentReference(b),
        Date: xeroDate(closeDate),
        Details: `Concur ${b.concurBatchId}`.slice(0, LIMITS.details),
        Particulars: 'Expenses',
        Code: b.concurBatchId.slice(0, LIMITS.code),
        Payments: payables.map((p) => ({
          Invoice: { InvoiceID: p.invoiceId },
          Amount: new JsonDecimal(p.amount),
          Details: p.reportId.slice(0, LIMITS.details),
        })),
      },
    ],
  };
}

/** Xero's where filter for the ACCPAY bills numbered like `reportIds` (ids are checked free of quotes by groupReports). */
export function billsWhere(reportIds: readonly string[]): string {
  return `Type=="ACCPAY" AND (${reportIds.map((id) => `InvoiceNumber=="${id}"`).join(' OR ')})`;
}

/** Idempotency-Key for one write: company, batch and step, hashed to Xero's 128-character limit. */
export function idempotencyKey(company: string, concurBatchId: string, step: string, body?: string): string {
  const h = createHash('sha256').update(JSON.stringify([company, concurBatchId, step, body ?? ''])).digest('hex');
  return `erp-sync-${step.replace(/[^A-Za-z0-9-]/g, '-').slice(0, 40)}-${h.slice(0, 48)}`;
}

export const sumText = (amounts: readonly string[]): string => moneyText(amounts.reduce((s: Money, a) => s.plus(a), ZERO));
