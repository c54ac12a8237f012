// The reports users can print: each one a view of the `reporting` schema, read as plain values.
import type { DataSource } from 'typeorm';
import { pgClientOf } from './pg-client.js';

export interface ReportDefinition {
  name: string;
  view: string;
  description: string;
  orderBy: string;
}

export const REPORTS: readonly ReportDefinition[] = [
  {
    name: 'batches',
    view: 'reporting.batch_summary',
    description: 'every batch: state, closed/fetched/loaded/delivered times, rows, totals per currency, reconciliation, delivery per sink',
    orderBy: 'company_id, batch_row_id',
  },
  {
    name: 'spend-by-employee',
    view: 'reporting.spend_by_employee',
    description: 'rows, debit, credit and net amount per company, employee and currency',
    orderBy: 'company_id, employee_id, currency',
  },
  {
    name: 'spend-by-expense-type',
    view: 'reporting.spend_by_expense_type',
    description: 'rows, debit, credit and net amount per company, expense type and currency',
    orderBy: 'company_id, expense_type, currency',
  },
  {
    name: 'spend-by-account',
    view: 'reporting.spend_by_account_code',
    description: 'rows, debit, credit and net amount per company, account code and currency',
    orderBy: 'company_id, account_code, currency',
  },
  {
    name: 'spend-by-month',
    view: 'reporting.spend_by_month',
    description: 'rows, debit, credit and net amount per company, month of the transaction date and currency',
    orderBy: 'company_id, month, currency',
  },
  {
    name: 'exceptions',
    view: 'reporting.exceptions',
    description: 'what needs a person: quarantined batches, reconciliation mismatches, failed deliveries, companies to re-authorise',
    orderBy: 'since DESC, company_id',
  },
  {
    name: 'xero-payments',
    view: 'reporting.xero_payments',
    description: 'Xero batch payments per batch: BatchPaymentID, total, Status and IsReconciled as last read back',
    orderBy: 'company_id, batch_row_id',
  },
  {
    name: 'qitech-payouts',
    view: 'reporting.qitech_payouts',
    description: 'QI Tech payment batches per batch: status (paid when the webhook says so), settlements settled',
    orderBy: 'company_id, batch_row_id',
  },
  {
    name: 'saferpay-closes',
    view: 'reporting.saferpay_closes',
    description: 'every Saferpay terminal batch close: business day, RequestId, attempts, outcome, ErrorName/Behavior, times, who forced it',
    orderBy: 'business_day DESC, terminal_id, seq',
  },
  {
    name: 'sae-lines',
    view: 'reporting.sae_lines',
    description: 'every loaded SAE line with its 400 columns by their published names (empty = null)',
    orderBy: 'batch_row_id, source_file, line_number',
  },
];

export function findReport(name: string): ReportDefinition | undefined {
  return REPORTS.find((r) => r.name === name);
}

export type ReportValue = string | number | boolean | null | object;

export interface ReportResult {
  columns: Array<{ name: string; numeric: boolean }>;
  rows: Array<Record<string, ReportValue>>;
}

// PostgreSQL type OIDs the report reads as something other than text.
const BOOL = 16;
const INTEGERS = new Set([20, 21, 23]);
const NUMERIC = 1700;
const JSON_TYPES = new Set([114, 3802]);

// Values keep PostgreSQL's own text (exact decimals, dates without a time-zone shift); JSON becomes
// objects and counts become numbers when they fit.
function parserFor(oid: number): (text: string) => ReportValue {
  if (JSON_TYPES.has(oid)) return (t) => JSON.parse(t) as object;
  if (oid === BOOL) return (t) => t === 't';
  if (INTEGERS.has(oid)) return (t) => (Number.isSafeInteger(Number(t)) ? Number(t) : t);
  return (t) => t;
}

/** Reads a whole report, in a read-only transaction with times shown in UTC. */
export async function readReport(ds: DataSource, report: ReportDefinition): Promise<ReportResult> {
  return ds.transaction(async (m) => {
    await m.query('SET TRANSACTION READ ONLY');
    const client = await pgClientOf(m);
    await client.query(`SET LOCAL TIME ZONE 'UTC'`);
    const result = await client.query({
      text: `SELECT * FROM ${report.view} ORDER BY ${report.orderBy}`,
      types: { getTypeParser: ((oid: number) => parserFor(oid)) as never },
    });
    return {
      columns: result.fields.map((f) => ({ name: f.name, numeric: f.dataTypeID === NUMERIC || INTEGERS.has(f.dataTypeID) })),
      rows: result.rows as Array<Record<string, ReportValue>>,
    };
  });
}
