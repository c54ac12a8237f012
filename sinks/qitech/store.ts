// SQL for QI Tech payouts: the payment batch and settlements the sink created, their statuses as QI Tech
// reports them, the webhook events received, and the audit events of discarded batches.
import type { DataSource } from 'typeorm';
import { TRANSACTION_COLUMNS, type TransactionField } from './config.js';
import type { DemandRow } from './plan.js';
import { update, type Queryable } from '../../src/db/sql.js';

/** Statuses only move forward: a late or replayed answer never takes a paid batch back to pending. */
const BATCH_RANK = `CASE %s WHEN 'pending_settlements_insertion' THEN 1 WHEN 'paid' THEN 3 WHEN 'discarded' THEN 3 ELSE 2 END`;
const rank = (expr: string) => BATCH_RANK.replace('%s', expr);
const FINAL_SETTLEMENT = `('settled', 'discarded')`;

function fieldSql(field: TransactionField | undefined, params: unknown[]): string {
  if (!field) return 'NULL';
  if (field.startsWith('raw:')) {
    params.push(field.slice(4));
    return `transaction_raw(transactions) ->> $${params.length}`;
  }
  // Checked against the list again: the name goes into the SQL text.
  if (!(TRANSACTION_COLUMNS as readonly string[]).includes(field)) throw new Error(`unknown transaction field ${field}`);
  return field;
}

/** The batch's transactions in line order, with the chosen mapping fields extracted. */
export async function demandRows(db: Queryable, batchRowId: string, fields: { contract?: TransactionField; installment?: TransactionField }): Promise<DemandRow[]> {
  const params: unknown[] = [batchRowId];
  const contract = fieldSql(fields.contract, params);
  const installment = fieldSql(fields.installment, params);
  return db.query(
    `SELECT report_id AS "reportId", line_number AS "lineNumber", amount::text AS amount, currency,
            ${contract} AS "contractNumber", ${installment} AS "installmentNumber"
     FROM transactions WHERE batch_row_id = $1 ORDER BY file_id NULLS FIRST, line_number, id`,
    params,
  );
}

export interface PaymentBatchRecord {
  batchRowId: string;
  sink: string;
  companyId: string;
  fundClassKey: string;
  externalId: string;
  status: string;
  paymentBatchKey?: string | null;
}

/** Records (or refreshes) the payment batch as QI Tech last described it. */
export async function savePaymentBatch(db: Queryable, p: PaymentBatchRecord): Promise<void> {
  await db.query(
    `INSERT INTO qitech_payment_batches AS p (batch_row_id, sink, company_id, fund_class_key, external_id, payment_batch_key, status, closed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $7 IN ('pending_payment', 'paid') THEN now() END)
     ON CONFLICT (batch_row_id, sink) DO UPDATE SET
       payment_batch_key = COALESCE(EXCLUDED.payment_batch_key, p.payment_batch_key),
       status = CASE WHEN ${rank('EXCLUDED.status')} >= ${rank('p.status')} AND p.status NOT IN ('paid', 'discarded') THEN EXCLUDED.status ELSE p.status END,
       closed_at = COALESCE(p.closed_at, EXCLUDED.closed_at),
       updated_at = now()`,
    [p.batchRowId, p.sink, p.companyId, p.fundClassKey, p.externalId, p.paymentBatchKey ?? null, p.status],
  );
}

export async function saveSettlement(db: Queryable, s: { paymentBatchExternalId: string; externalId: string; reportId: string; totalValue: string; status: string }): Promise<void> {
  await db.query(
    `INSERT INTO qitech_settlements (payment_batch_external_id, external_id, report_id, total_value, status)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (payment_batch_external_id, external_id) DO NOTHING`,
    [s.paymentBatchExternalId, s.externalId, s.reportId, s.totalValue, s.status],
  );
}

/** External ids of the settlements already known to be in the payment batch. */
export async function savedSettlements(db: Queryable, paymentBatchExternalId: string): Promise<Set<string>> {
  const rows: Array<{ id: string }> = await db.query(`SELECT external_id AS id FROM qitech_settlements WHERE payment_batch_external_id = $1`, [
    paymentBatchExternalId,
  ]);
  return new Set(rows.map((r) => r.id));
}

/** Marks the payment batch discarded and writes the audit event, together. */
export async function recordDiscarded(ds: DataSource, p: { batchRowId: string; sink: string; companyId: string; externalId: string; fromStatus: string; reason: string }): Promise<void> {
  await ds.transaction(async (m) => {
    await update(m, `UPDATE qitech_payment_batches SET status = 'discarded', discarded_at = now(), updated_at = now() WHERE batch_row_id = $1 AND sink = $2`, [
      p.batchRowId,
      p.sink,
    ]);
    await m.query(`INSERT INTO batch_events (batch_row_id, company_id, kind, from_state, to_state, detail) VALUES ($1, $2, $3, $4, $5, $6)`, [
      p.batchRowId,
      p.companyId,
      'qitech_batch_discarded',
      p.fromStatus,
      'discarded',
      JSON.stringify({ sink: p.sink, paymentBatchExternalId: p.externalId, reason: p.reason }),
    ]);
  });
}

export interface WebhookEvent {
  contentSha256: string;
  webhookType: string;
  paymentBatchExternalId: string;
  settlementExternalId: string | null;
  status: string | null;
  webhookDatetime: string | null;
  payload: unknown;
}

/**
 * Stores a webhook event once and applies it: the batch's or the settlement's status. Returns
 * 'unknown-batch' / 'unknown-settlement' (nothing stored), 'duplicate' or 'applied'.
 */
export async function applyWebhookEvent(ds: DataSource, e: WebhookEvent): Promise<'unknown-batch' | 'unknown-settlement' | 'duplicate' | 'applied'> {
  return ds.transaction(async (m) => {
    const batches: unknown[] = await m.query(`SELECT 1 FROM qitech_payment_batches WHERE external_id = $1 FOR UPDATE`, [e.paymentBatchExternalId]);
    if (batches.length === 0) return 'unknown-batch';
    if (e.settlementExternalId !== null) {
      const known: unknown[] = await m.query(`SELECT 1 FROM qitech_settlements WHERE payment_batch_external_id = $1 AND external_id = $2`, [
        e.paymentBatchExternalId,
        e.settlementExternalId,
      ]);
      if (known.length === 0) return 'unknown-settlement';
    }
    const stored: unknown[] = await m.query(
      `INSERT INTO qitech_webhook_events (content_sha256, webhook_type, payment_batch_external_id, settlement_external_id, status, webhook_datetime, payload)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (content_sha256) DO NOTHING RETURNING id`,
      [e.contentSha256, e.webhookType, e.paymentBatchExternalId, e.settlementExternalId, e.status, e.webhookDatetime, JSON.stringify(e.payload)],
    );
    if (stored.length === 0) return 'duplicate';
    if (e.status === null) return 'applied';
    if (e.settlementExternalId === null) {
      await update(
        m,
        `UPDATE qitech_payment_batches SET status = $2, paid_at = CASE WHEN $2 = 'paid' THEN now() ELSE paid_at END, updated_at = now()
         WHERE external_id = $1 AND status NOT IN ('paid', 'discarded') AND ${rank('$2::text')} >= ${rank('status')}`,
        [e.paymentBatchExternalId, e.status],
      );
    } else {
      await update(
        m,
        `UPDATE qitech_settlements SET status = $3, settled_at = CASE WHEN $3 = 'settled' THEN now() ELSE settled_at END, updated_at = now()
         WHERE payment_batch_external_id = $1 AND external_id = $2 AND status NOT IN ${FINAL_SETTLEMENT}`,
        [e.paymentBatchExternalId, e.settlementExternalId, e.status],
      );
    }
    return 'applied';
  });
}

export interface PayoutRow {
  companyId: string;
  concurBatchId: string;
  batchName: string | null;
  sink: string;
  paymentBatchExternalId: string;
  status: string;
  settlements: number;
  settled: number;
  totalValue: string;
  paidAt: Date | null;
}

/** Where each payout stands, newest first (for `status` and the report). */
export async function payouts(db: Queryable, companyId?: string): Promise<PayoutRow[]> {
  return db.query(
    `SELECT company_id AS "companyId", concur_batch_id AS "concurBatchId", batch_name AS "batchName", sink,
            payment_batch_external_id AS "paymentBatchExternalId", status, settlements::int AS settlements, settled::int AS settled,
            total_value::text AS "totalValue", paid_at AS "paidAt"
     FROM reporting.qitech_payouts WHERE $1::text IS NULL OR company_id = $1 ORDER BY batch_row_id DESC`,
    [companyId ?? null],
  );
}
