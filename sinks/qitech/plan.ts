// Pure decisions of the QI Tech sink: stable external ids, payment demands (one per Concur report) and
// the exact JSON bodies, with `total_value` written as two-decimal text, never through a JS float.
import { createHash } from 'node:crypto';
import { Money, ZERO } from '../../src/money.js';
import type { QiTechSinkConfig } from './config.js';

/** QI Tech's limit on every external_id. */
export const EXTERNAL_ID_MAX = 50;

/** One transaction as the sink reads it: the chosen mapping fields already extracted. */
export interface DemandRow {
  reportId: string | null;
  lineNumber: number;
  amount: string;
  currency: string | null;
  contractNumber: string | null;
  installmentNumber: string | null;
}

export interface PlannedSettlement {
  externalId: string;
  reportId: string;
  /** Exactly two decimals, e.g. "1234.50". */
  totalValue: string;
  contractNumber: string | null;
  installmentNumber: number | null;
}

export interface SettlementPlan {
  settlements: PlannedSettlement[];
  /** Reports whose net amount is zero or negative: nothing to pay. */
  skipped: Array<{ reportId: string; total: string }>;
}

/** A payment demand we cannot turn into a settlement; no retry helps. */
export class PlanError extends Error {
  override readonly name = 'PlanError';
}

function slug(text: string, max: number): string {
  return text.replace(/[^A-Za-z0-9]+/g, '').slice(0, max);
}

function digest(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** Stable across retries and replicas, unique per company + Concur batch, ≤ 50 characters, readable prefix. */
export function batchExternalId(company: string, concurBatchId: string): string {
  return `${slug(company, 10)}-${slug(concurBatchId, 10)}-${digest('batch', company, concurBatchId).slice(0, 28)}`;
}

/** Stable per company + batch + report, ≤ 50 characters. */
export function settlementExternalId(company: string, concurBatchId: string, reportId: string): string {
  return `${slug(reportId, 16)}-${digest('settlement', company, concurBatchId, reportId).slice(0, 32)}`;
}

/** The two-decimal text of an exact amount; sub-cent amounts are refused rather than rounded away. */
export function twoDecimals(value: Money, what: string): string {
  if (value.decimalPlaces() > 2) throw new PlanError(`${what}: ${value.toFixed()} has more than two decimals`);
  return value.toFixed(2);
}

/** Groups a batch's transactions by report (rows in line order); a report paying nothing is skipped. */
export function planSettlements(company: string, concurBatchId: string, rows: readonly DemandRow[]): SettlementPlan {
  const byReport = new Map<string, DemandRow[]>();
  for (const row of rows) {
    if (!row.reportId) throw new PlanError(`batch ${concurBatchId} line ${row.lineNumber}: report_id is empty, the row belongs to no payment demand`);
    const list = byReport.get(row.reportId) ?? [];
    list.push(row);
    byReport.set(row.reportId, list);
  }
  const plan: SettlementPlan = { settlements: [], skipped: [] };
  for (const [reportId, list] of byReport) {
    const currencies = new Set(list.map((r) => r.currency ?? ''));
    if (currencies.size > 1) throw new PlanError(`batch ${concurBatchId} report ${reportId}: several currencies (${[...currencies].join(', ')}) in one payment demand`);
    const total = list.reduce((sum, r) => sum.plus(r.amount), ZERO);
    if (total.lte(0)) {
      plan.skipped.push({ reportId, total: total.toFixed() });
      continue;
    }
    const first = list[0]!;
    plan.settlements.push({
      externalId: settlementExternalId(company, concurBatchId, reportId),
      reportId,
      totalValue: twoDecimals(total, `batch ${concurBatchId} report ${reportId} total`),
      contractNumber: first.contractNumber || null,
      installmentNumber: installment(first, concurBatchId),
    });
  }
  return plan;
}

function installment(row: DemandRow, concurBatchId: string): number | null {
  const text = row.installmentNumber?.trim();
  if (!text) return null;
  if (!/^\d{1,9}$/.test(text)) throw new PlanError(`batch ${concurBatchId} line ${row.lineNumber}: installment number "${text}" is not a whole number`);
  return Number(text);
}

/** JSON with `total_value` as a number literal carrying exactly the given two-decimal text. */
export function settlementBody(s: PlannedSettlement, mapping: QiTechSinkConfig['settlement']): string {
  const fields: Record<string, string | number> = { external_id: s.externalId, asset_type: mapping.assetType, settlement_type: mapping.settlementType };
  if (s.contractNumber !== null) fields.contract_number = s.contractNumber;
  if (s.installmentNumber !== null) fields.installment_number = s.installmentNumber;
  if (mapping.collectionOriginType) fields.collection_origin_type = mapping.collectionOriginType;
  if (!/^\d+\.\d{2}$/.test(s.totalValue)) throw new PlanError(`total_value ${s.totalValue} is not two-decimal text`);
  return `${JSON.stringify(fields).slice(0, -1)},"total_value":${s.totalValue}}`;
}

export function createBatchBody(config: Pick<QiTechSinkConfig, 'accountKey' | 'account'>, externalId: string, description: string, referenceDate: Date): string {
  return JSON.stringify({
    external_id: externalId,
    description: description.slice(0, 255),
    reference_date: referenceDate.toISOString().slice(0, 10),
    ...(config.accountKey ? { account_key: config.accountKey } : {}),
    ...(config.account ? { account: config.account } : {}),
  });
}

/** Compares a settlement read back with ours: a different amount under our id is a conflict, not a success. */
export function sameAmount(remote: unknown, ours: string): boolean {
  if (typeof remote !== 'number' && typeof remote !== 'string') return false;
  try {
    return new Money(String(remote)).eq(ours);
  } catch {
    return false;
  }
}
