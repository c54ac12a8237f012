// SQL for deliveries: one row per batch and sink with its state, attempts and per-file result.
import type { Queryable } from '../db/sql.js';
import { Money, moneyText } from '../money.js';
import { prepared } from '../db/prepared.js';

export interface DeliveryRow {
  sink: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
}

export async function deliveriesOf(db: Queryable, batchRowId: string): Promise<DeliveryRow[]> {
  return db.query(prepared(`SELECT sink, state, attempts FROM deliveries WHERE batch_row_id = $1`), [batchRowId]);
}

/**
 * Records one delivery attempt's result; delivered rows keep their first delivery time. Failures in a row and since
 * when are kept for the alerts (a success resets them).
 */
export async function recordDelivery(db: Queryable, batchRowId: string, sink: string, ok: boolean, result: unknown, error: string | null): Promise<void> {
  await db.query(
    prepared(`INSERT INTO deliveries (batch_row_id, sink, state, attempts, result, last_error, delivered_at, failures, failing_since)
     VALUES ($1, $2, $3, 1, $4, $5, CASE WHEN $3 = 'delivered' THEN now() END, CASE WHEN $3 = 'failed' THEN 1 ELSE 0 END, CASE WHEN $3 = 'failed' THEN now() END)
     ON CONFLICT (batch_row_id, sink) DO UPDATE SET state = EXCLUDED.state, attempts = deliveries.attempts + 1, result = EXCLUDED.result,
       last_error = EXCLUDED.last_error, delivered_at = COALESCE(deliveries.delivered_at, EXCLUDED.delivered_at), updated_at = now(),
       failures = CASE WHEN EXCLUDED.state = 'failed' THEN deliveries.failures + 1 ELSE 0 END,
       failing_since = CASE WHEN EXCLUDED.state = 'failed' THEN COALESCE(deliveries.failing_since, now()) END`),
    [batchRowId, sink, ok ? 'delivered' : 'failed', JSON.stringify(result), error],
  );
}

/** Per company and sink, deliveries whose last attempt failed, of batches still in the pipeline (quarantined ones are counted as such). */
export async function failingDeliveries(db: Queryable): Promise<Array<{ companyId: string; sink: string; n: number }>> {
  return db.query(
    `SELECT b.company_id AS "companyId", d.sink, count(*)::int AS n
     FROM deliveries d JOIN batches b ON b.id = d.batch_row_id
     WHERE d.state = 'failed' AND b.state NOT IN ('done', 'quarantined')
     GROUP BY 1, 2`,
  );
}

export async function batchTotals(db: Queryable, batchRowId: string): Promise<{ rows: number; totals: Record<string, string> }> {
  const rows: Array<{ currency: string; n: number; total: string }> = await db.query(
    prepared(`SELECT COALESCE(currency, '') AS currency, count(*)::int AS n, sum(amount)::text AS total FROM transactions WHERE batch_row_id = $1 GROUP BY 1 ORDER BY 1`),
    [batchRowId],
  );
  // Canonical text (as in the reconciliation): a sum's scale depends on how the file wrote its amounts.
  return { rows: rows.reduce((s, r) => s + r.n, 0), totals: Object.fromEntries(rows.map((r) => [r.currency, moneyText(new Money(r.total))])) };
}
