// Pure decisions: which reports have a payable bill, which bills to create, which reports cannot be paid and why.
import { Money } from '../../src/money.js';
import type { ElementProblem, Payable, Report } from './mapping.js';

/** The fields of a Xero invoice the decisions read (amounts as exact text). */
export interface FoundBill {
  InvoiceID: string;
  InvoiceNumber: string;
  Type: string;
  Status: string;
  AmountDue: string;
  CurrencyCode?: string;
}

export interface BillPlan {
  pay: Payable[];
  create: Report[];
  problems: ElementProblem[];
}

const GONE = new Set(['DELETED', 'VOIDED']);

/** Matches each report to its bill (invoice number = report id) and judges whether the report's total can be paid. */
export function planBills(reports: readonly Report[], found: readonly FoundBill[], createBills: boolean): BillPlan {
  const byNumber = new Map<string, FoundBill[]>();
  for (const b of found) if (b.Type === 'ACCPAY' && !GONE.has(b.Status)) byNumber.set(b.InvoiceNumber, [...(byNumber.get(b.InvoiceNumber) ?? []), b]);
  const plan: BillPlan = { pay: [], create: [], problems: [] };
  for (const r of reports) {
    const bills = byNumber.get(r.reportId) ?? [];
    const bill = bills[0];
    if (!bill) {
      if (createBills) plan.create.push(r);
      else plan.problems.push({ reportId: r.reportId, message: `report ${r.reportId} (${r.employeeName ?? r.employeeId ?? 'unknown employee'}, ${r.total} ${r.currency ?? ''}): Xero has no ACCPAY bill numbered ${r.reportId} and createBills is false` });
      continue;
    }
    const problem = billProblem(r, bill, bills.length);
    if (problem) plan.problems.push({ reportId: r.reportId, message: problem });
    else plan.pay.push({ reportId: r.reportId, invoiceId: bill.InvoiceID, amount: r.total });
  }
  return plan;
}

function billProblem(r: Report, bill: FoundBill, count: number): string | null {
  const at = `report ${r.reportId}: bill ${bill.InvoiceID}`;
  if (count > 1) return `report ${r.reportId}: Xero has ${count} live ACCPAY bills numbered ${r.reportId}; keep one`;
  if (bill.Status !== 'AUTHORISED') return `${at} is ${bill.Status}; only an AUTHORISED bill can be paid`;
  if (r.currency && bill.CurrencyCode && bill.CurrencyCode !== r.currency) return `${at} is in ${bill.CurrencyCode}, the report in ${r.currency}`;
  if (new Money(bill.AmountDue).lt(r.total)) return `${at} has ${bill.AmountDue} due, less than the report's ${r.total}`;
  return null;
}
