// The Xero sandbox's organisations: chart of accounts, contacts, bills and batch payments, with Xero's rules
// for creating bills and paying them in a batch.
import { randomUUID } from 'node:crypto';
import { Money, moneyText, parseMoney, ZERO } from '../../src/money.js';
import { jsonDecimal, type JsonOut } from './json.js';

export interface SandboxAccount {
  AccountID: string;
  Code: string;
  Name: string;
  Type: 'BANK' | 'EXPENSE' | 'CURRLIAB';
  /** A bank account's currency; absent: the organisation's base currency. */
  CurrencyCode?: string;
}

export interface SandboxInvoice {
  InvoiceID: string;
  InvoiceNumber: string;
  Type: 'ACCPAY' | 'ACCREC';
  Status: string;
  Contact: { ContactID: string; Name: string };
  Date: number;
  CurrencyCode: string;
  Reference: string;
  LineItems: Array<{ Description: string; Quantity: Money; UnitAmount: Money; AccountCode: string; Tracking: unknown }>;
  Total: Money;
  AmountPaid: Money;
  UpdatedDateUTC: number;
}

export interface SandboxBatchPayment {
  BatchPaymentID: string;
  Account: SandboxAccount;
  Reference: string;
  Particulars?: string;
  Code?: string;
  Details?: string;
  Date: number;
  Status: 'AUTHORISED' | 'DELETED';
  IsReconciled: boolean;
  Payments: Array<{ PaymentID: string; InvoiceID: string; Amount: Money; Details?: string }>;
  UpdatedDateUTC: number;
}

export interface SandboxTenant {
  id: string;
  baseCurrency: string;
  accounts: SandboxAccount[];
  contacts: Map<string, { ContactID: string; Name: string }>;
  invoices: Map<string, SandboxInvoice>;
  batchPayments: Map<string, SandboxBatchPayment>;
}

export const DEFAULT_ACCOUNTS: ReadonlyArray<Omit<SandboxAccount, 'AccountID'>> = [
  { Code: '090', Name: 'Business Bank Account', Type: 'BANK' },
  { Code: '091', Name: 'Euro Bank Account', Type: 'BANK', CurrencyCode: 'EUR' },
  { Code: '400', Name: 'Advertising', Type: 'EXPENSE' },
  { Code: '420', Name: 'Entertainment', Type: 'EXPENSE' },
  { Code: '429', Name: 'General Expenses', Type: 'EXPENSE' },
  { Code: '493', Name: 'Travel - National', Type: 'EXPENSE' },
  { Code: '800', Name: 'Accounts Payable', Type: 'CURRLIAB' },
];

export const LIMITS = { reference: 255, details: 18, particulars: 12, code: 12 };

type J = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const dec = (v: unknown): Money | null => (typeof v === 'string' ? parseMoney(v) : null);

export const xeroDateText = (ms: number): string => `/Date(${ms}+0000)/`;

/** Xero's `Date` inputs: YYYY-MM-DD (or an ISO date-time); null when unusable. */
function dateOf(v: unknown): number | null {
  const s = str(v);
  if (!s || !/^\d{4}-\d{2}-\d{2}/.test(s)) return null;
  const ms = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : s);
  return Number.isNaN(ms) ? null : ms;
}

export function newTenant(id: string, accounts: ReadonlyArray<Omit<SandboxAccount, 'AccountID'>> = DEFAULT_ACCOUNTS): SandboxTenant {
  return { id, baseCurrency: 'USD', accounts: accounts.map((a) => ({ ...a, AccountID: randomUUID() })), contacts: new Map(), invoices: new Map(), batchPayments: new Map() };
}

export function amountDue(inv: SandboxInvoice): Money {
  return inv.Total.minus(inv.AmountPaid);
}

/** One element to create: its result, or the validation messages Xero would attach. */
export type Outcome<T> = { ok: T } | { errors: string[] };

export function validateInvoice(t: SandboxTenant, e: J): Outcome<() => SandboxInvoice> {
  const errors: string[] = [];
  const type = str(e.Type);
  if (type !== 'ACCPAY' && type !== 'ACCREC') errors.push('Invoice Type must be ACCPAY or ACCREC');
  const c = (e.Contact ?? {}) as J;
  const byId = str(c.ContactID) ? t.contacts.get(str(c.ContactID)!) : undefined;
  if (str(c.ContactID) && !byId) errors.push('The contact could not be found');
  if (!str(c.ContactID) && !str(c.Name)) errors.push('A Contact must be specified for this type of transaction');
  const date = dateOf(e.Date);
  if (date === null) errors.push('Date is not a valid date');
  const status = str(e.Status) ?? 'DRAFT';
  if (!['DRAFT', 'SUBMITTED', 'AUTHORISED'].includes(status)) errors.push(`Invoice Status ${status} is not valid for a new invoice`);
  const items = Array.isArray(e.LineItems) ? (e.LineItems as J[]) : [];
  if (items.length === 0) errors.push('Invoices must contain at least one line item');
  const lines: SandboxInvoice['LineItems'] = [];
  for (const li of items) {
    const code = str(li.AccountCode);
    const qty = li.Quantity === undefined ? new Money(1) : dec(li.Quantity);
    const unit = dec(li.UnitAmount);
    if (!code || !t.accounts.some((a) => a.Code === code)) errors.push(`Account code '${code ?? ''}' is not a valid code for this document.`);
    if (qty === null || unit === null) errors.push('Line item amounts must be numbers');
    else lines.push({ Description: str(li.Description) ?? '', Quantity: qty, UnitAmount: unit, AccountCode: code ?? '', Tracking: li.Tracking ?? [] });
  }
  const total = lines.reduce((s, l) => s.plus(l.Quantity.times(l.UnitAmount).toDecimalPlaces(2)), ZERO);
  if (total.lt(0)) errors.push('Invoice total cannot be negative');
  if (errors.length) return { errors };
  return {
    ok: () => {
      let contact = byId ?? [...t.contacts.values()].find((x) => x.Name === str(c.Name));
      if (!contact) {
        contact = { ContactID: randomUUID(), Name: str(c.Name)! };
        t.contacts.set(contact.ContactID, contact);
      }
      const inv: SandboxInvoice = {
        InvoiceID: randomUUID(),
        InvoiceNumber: str(e.InvoiceNumber) ?? '',
        Type: type as SandboxInvoice['Type'],
        Status: status,
        Contact: contact,
        Date: date!,
        CurrencyCode: str(e.CurrencyCode) ?? t.baseCurrency,
        Reference: str(e.Reference) ?? '',
        LineItems: lines,
        Total: total,
        AmountPaid: ZERO,
        UpdatedDateUTC: 0,
      };
      t.invoices.set(inv.InvoiceID, inv);
      return inv;
    },
  };
}

/** A batch payment to create: batch-level errors, and per-payment errors by index. */
export function validateBatchPayment(t: SandboxTenant, e: J): { errors: string[]; paymentErrors: string[][]; create: (() => SandboxBatchPayment) | null } {
  const errors: string[] = [];
  const acc = (e.Account ?? {}) as J;
  const account = t.accounts.find((a) => (str(acc.AccountID) ? a.AccountID === acc.AccountID : a.Code === str(acc.Code)));
  if (!account) errors.push('Account could not be found');
  else if (account.Type !== 'BANK') errors.push(`Account ${account.Code} is not a bank account`);
  const date = dateOf(e.Date);
  if (date === null) errors.push('Date is required');
  const reference = str(e.Reference);
  if (!reference) errors.push('Reference is required');
  for (const [field, max] of [['Reference', LIMITS.reference], ['Details', LIMITS.details], ['Particulars', LIMITS.particulars], ['Code', LIMITS.code]] as const) {
    const v = str(e[field]);
    if (v && v.length > max) errors.push(`${field} must not exceed ${max} characters`);
  }
  const payments = Array.isArray(e.Payments) ? (e.Payments as J[]) : [];
  if (payments.length === 0) errors.push('Payments are required');
  const due = new Map<string, Money>();
  const paymentErrors = payments.map((p) => {
    const pe: string[] = [];
    const inv = t.invoices.get(str(((p.Invoice ?? {}) as J).InvoiceID) ?? '');
    const amount = dec(p.Amount);
    if (!inv) pe.push('Invoice could not be found');
    else {
      // Xero pays a bill only from a bank account in the bill's currency.
      const accountCurrency = account?.CurrencyCode ?? t.baseCurrency;
      if (account && inv.CurrencyCode !== accountCurrency) {
        pe.push(`The currency of the bank account ${account.Code} (${accountCurrency}) must match the currency of the invoice (${inv.CurrencyCode})`);
      }
      if (inv.Type !== 'ACCPAY') pe.push('Only bills (ACCPAY) can be paid in a PAYBATCH');
      if (inv.Status !== 'AUTHORISED') pe.push('Invoice not of valid status for modification');
      if (amount === null || amount.lte(0)) pe.push('Payment amount must be greater than zero');
      else {
        const left = (due.get(inv.InvoiceID) ?? amountDue(inv)).minus(amount);
        if (left.lt(0)) pe.push('Payment amount exceeds the amount outstanding on this document');
        due.set(inv.InvoiceID, left);
      }
    }
    return pe;
  });
  if (errors.length || paymentErrors.some((x) => x.length)) return { errors, paymentErrors, create: null };
  return {
    errors,
    paymentErrors,
    create: () => {
      const bp: SandboxBatchPayment = {
        BatchPaymentID: randomUUID(),
        Account: account!,
        Reference: reference!,
        Particulars: str(e.Particulars) ?? undefined,
        Code: str(e.Code) ?? undefined,
        Details: str(e.Details) ?? undefined,
        Date: date!,
        Status: 'AUTHORISED',
        IsReconciled: false,
        Payments: payments.map((p) => ({ PaymentID: randomUUID(), InvoiceID: str((p.Invoice as J).InvoiceID)!, Amount: dec(p.Amount)!, Details: str(p.Details) ?? undefined })),
        UpdatedDateUTC: 0,
      };
      for (const p of bp.Payments) applyPayment(t.invoices.get(p.InvoiceID)!, p.Amount);
      t.batchPayments.set(bp.BatchPaymentID, bp);
      return bp;
    },
  };
}

function applyPayment(inv: SandboxInvoice, amount: Money): void {
  inv.AmountPaid = inv.AmountPaid.plus(amount);
  inv.Status = amountDue(inv).isZero() ? 'PAID' : 'AUTHORISED';
}

/** Deleting gives the bills their amounts due back; a reconciled batch payment cannot be deleted. */
export function deleteBatchPayment(t: SandboxTenant, bp: SandboxBatchPayment): string | null {
  if (bp.IsReconciled) return 'This Batch Payment has been reconciled and cannot be deleted';
  if (bp.Status === 'DELETED') return null;
  bp.Status = 'DELETED';
  for (const p of bp.Payments) applyPayment(t.invoices.get(p.InvoiceID)!, p.Amount.negated());
  return null;
}

const d = (m: Money) => jsonDecimal(m.toFixed(2));

export function invoiceJson(inv: SandboxInvoice): { [k: string]: JsonOut } {
  return {
    Type: inv.Type,
    InvoiceID: inv.InvoiceID,
    InvoiceNumber: inv.InvoiceNumber,
    Reference: inv.Reference,
    Contact: inv.Contact,
    Date: xeroDateText(inv.Date),
    DateString: new Date(inv.Date).toISOString().slice(0, 19),
    Status: inv.Status,
    CurrencyCode: inv.CurrencyCode,
    LineItems: inv.LineItems.map((l) => ({ Description: l.Description, Quantity: d(l.Quantity), UnitAmount: jsonDecimal(moneyText(l.UnitAmount)), AccountCode: l.AccountCode, LineAmount: d(l.Quantity.times(l.UnitAmount)) })),
    Total: d(inv.Total),
    AmountPaid: d(inv.AmountPaid),
    AmountDue: d(amountDue(inv)),
    UpdatedDateUTC: xeroDateText(inv.UpdatedDateUTC),
  };
}

export function batchPaymentJson(t: SandboxTenant, bp: SandboxBatchPayment): { [k: string]: JsonOut } {
  const total = bp.Payments.reduce((s, p) => s.plus(p.Amount), ZERO);
  return {
    Account: { AccountID: bp.Account.AccountID, Code: bp.Account.Code },
    Reference: bp.Reference,
    Particulars: bp.Particulars,
    Code: bp.Code,
    Details: bp.Details,
    BatchPaymentID: bp.BatchPaymentID,
    DateString: new Date(bp.Date).toISOString().slice(0, 19),
    Date: xeroDateText(bp.Date),
    Amount: d(total),
    TotalAmount: d(total),
    Type: 'PAYBATCH',
    Status: bp.Status,
    IsReconciled: bp.IsReconciled,
    UpdatedDateUTC: xeroDateText(bp.UpdatedDateUTC),
    Payments: bp.Payments.map((p) => ({ PaymentID: p.PaymentID, Invoice: { InvoiceID: p.InvoiceID, InvoiceNumber: t.invoices.get(p.InvoiceID)?.InvoiceNumber }, Amount: d(p.Amount), Details: p.Details })),
  };
}
