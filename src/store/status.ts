// The status read model: one row per batch with its rows, totals per currency and deliveries.
import type { Queryable } from '../db/sql.js';
import type { Reconciliation } from '../model/reconciliation.js';
import type { BatchState } from '../model/batch-state.js';

export interface BatchStatus {
  company: string;
  batchId: string;
  name: string | null;
  state: BatchState;
  /** Concur's Count (reports in the batch) when last listed. */
  count: number | null;
  attempts: number;
  nextAttemptAt: string | null;
  rows: number;
  totals: Record<string, string>;
  reconciliation: Reconciliation | null;
  /** Per sink; `payout` holds what the payment system says of it (Xero Status/IsReconciled, QI Tech status). */
  deliveries: Array<{ sink: string; state: string; attempts: number; deliveredAt: string | null; lastError: string | null; payout: Record<string, unknown> | null }>;
  lastError: string | null;
  quarantineReason: string | null;
  updatedAt: string;
}

/** Every batch's status, or a company's, or one batch's (by internal id). */
export async function batchStatuses(db: Queryable, opts: { company?: string; batch?: string } = {}): Promise<BatchStatus[]> {
  return db.query(
    `SELECT b.company_id AS company, b.concur_batch_id AS "batchId", b.name, b.state, b.payment_demands AS count, b.attempts,
            to_char(b.next_attempt_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "nextAttemptAt",
            COALESCE(t.rows, 0)::int AS rows, COALESCE(t.totals, '{}'::jsonb) AS totals, b.reconciliation,
            COALESCE(d.deliveries, '[]'::jsonb) AS deliveries, b.last_error AS "lastError", b.quarantine_reason AS "quarantineReason",
            to_char(b.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS "updatedAt"
     FROM batches b
     LEFT JOIN LATERAL (
       SELECT sum(n) AS rows, jsonb_object_agg(cur, total::text) AS totals
       FROM (SELECT COALESCE(currency, '') AS cur, count(*) AS n, sum(amount) AS total FROM transactions WHERE batch_row_id = b.id GROUP BY 1) per
     ) t ON true
     LEFT JOIN LATERAL (
       SELECT jsonb_agg(jsonb_build_object('sink', d.sink, 'state', d.state, 'attempts', d.attempts, 'deliveredAt', d.delivered_at, 'lastError', d.last_error,
                        'payout', COALESCE(
                          (SELECT jsonb_build_object('system', 'xero', 'batchPaymentId', x.batch_payment_id, 'status', x.status, 'isReconciled', x.is_reconciled)
                           FROM xero_batch_payments x WHERE x.batch_row_id = b.id AND x.sink = d.sink),
                          (SELECT jsonb_build_object('system', 'qitech', 'paymentBatch', q.external_id, 'status', q.status, 'paidAt', q.paid_at)
                           FROM qitech_payment_batches q WHERE q.batch_row_id = b.id AND q.sink = d.sink))) ORDER BY d.sink) AS deliveries
       FROM deliveries d WHERE d.batch_row_id = b.id
     ) d ON true
     WHERE ($1::text IS NULL OR b.company_id = $1) AND ($2::bigint IS NULL OR b.id = $2)
     ORDER BY b.company_id, b.id`,
    [opts.company ?? null, opts.batch ?? null],
  );
}
