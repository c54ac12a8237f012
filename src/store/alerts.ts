// SQL of the alerts: the facts they are decided from, the open alerts (one row per cause), and the outbox of
// announcements per target (claimed by pushing next_attempt_at out as a lease, deleted once delivered).
import type { DataSource, EntityManager } from 'typeorm';
import { update, type Queryable } from '../db/sql.js';
import type { ErrorFields } from '../model/saferpay-error.js';
import type { BatchFact, CompanyFact, DeliveryFact, SinkAuthFact } from '../alerts/causes.js';

/** A terminal's latest close of a business day that failed, with Saferpay's own error fields. */
export interface SaferpayFailure extends ErrorFields {
  terminalId: string;
  terminalName: string;
  businessDay: string;
  lastError: string | null;
  state: 'failed' | 'config-error';
}

export interface StoredFacts {
  batches: BatchFact[];
  deliveries: DeliveryFact[];
  companies: CompanyFact[];
  sinks: SinkAuthFact[];
  saferpay: SaferpayFailure[];
}

/** What the alerts are decided from, for the configured companies (the partial indexes of migration Alerts serve it). */
export async function readAlertFacts(q: Queryable, companies: string[]): Promise<StoredFacts> {
  const batches: BatchFact[] = await q.query(
    `SELECT id::text AS id, company_id AS "companyId", concur_batch_id AS "concurBatchId", name, state, quarantine_reason AS "quarantineReason",
            CASE WHEN reconciliation->>'status' = 'mismatch' THEN reconciliation->'difference' END AS mismatch
     FROM batches WHERE (state = 'quarantined' OR (reconciliation->>'status') = 'mismatch') AND company_id = ANY($1) ORDER BY batches.id`,
    [companies],
  );
  const deliveries: DeliveryFact[] = await q.query(
    `SELECT d.batch_row_id::text AS "batchRowId", b.company_id AS "companyId", b.concur_batch_id AS "concurBatchId", d.sink, d.failures AS attempts,
            d.failing_since AS "failingSince", d.last_error AS "lastError"
     FROM deliveries d JOIN batches b ON b.id = d.batch_row_id
     WHERE d.state = 'failed' AND b.state <> 'done' AND b.company_id = ANY($1) ORDER BY d.batch_row_id, d.sink`,
    [companies],
  );
  const companyRows: CompanyFact[] = await q.query(
    `SELECT id, auth_state AS "authState", auth_error AS "authError", last_success_at AS "lastSuccessAt", created_at AS "createdAt",
            last_discovery_error AS "lastDiscoveryError", CASE WHEN next_discovery_at = '-infinity' THEN NULL ELSE next_discovery_at END AS "nextDiscoveryAt"
     FROM companies WHERE id = ANY($1) ORDER BY id`,
    [companies],
  );
  // A Xero connection refused is the first thing to fix; a scope missing (sink_attention) otherwise.
  const sinks: SinkAuthFact[] = await q.query(
    `SELECT DISTINCT ON (company_id, sink) company_id AS "companyId", sink, reason FROM (
       SELECT company_id, sink, 'Xero connection needs re-authorisation: ' || COALESCE(auth_error, 'refused') AS reason, 0 AS rank
       FROM xero_tokens WHERE auth_state = 'needs_reauth'
       UNION ALL SELECT company_id, sink, reason, 1 FROM sink_attention
     ) s WHERE company_id = ANY($1) ORDER BY company_id, sink, rank`,
    [companies],
  );
  const saferpay: SaferpayFailure[] = await q.query(
    `SELECT * FROM (
       SELECT DISTINCT ON (terminal_id, business_day) terminal_id AS "terminalId", terminal_name AS "terminalName",
              to_char(business_day, 'YYYY-MM-DD') AS "businessDay", state, error_name AS "errorName", behavior, http_status AS "httpStatus",
              error_message AS "errorMessage", error_detail AS "errorDetail", last_error AS "lastError"
       FROM saferpay_closes ORDER BY terminal_id, business_day, seq DESC
     ) latest WHERE state IN ('failed', 'config-error')`,
  );
  return { batches, deliveries, companies: companyRows, sinks, saferpay };
}

export interface NewAlert {
  cause: string;
  kind: string;
  company: string | null;
  batch: string | null;
  summary: string;
  reason: string;
  link: string;
}

export interface StoredAlert extends NewAlert {
  id: string;
  openedAt: Date;
}

const ALERT = `id::text AS id, cause, kind, company_id AS company, concur_batch_id AS batch, summary, reason, link, opened_at AS "openedAt"`;

// Two int4 keys (objsubid 2): never taken for a claim session's lock (one bigint key), which claim_sessions_alive reads.
const LOCK = [0x45525053, 0x414c5254]; // "ERPS", "ALRT"

/** Runs `fn` in a transaction that holds the alerts' lock: evaluations (of any replica) never interleave. */
export function underAlertLock<T>(ds: DataSource, fn: (m: EntityManager) => Promise<T>): Promise<T> {
  return ds.transaction(async (m) => {
    await m.query(`SELECT pg_advisory_xact_lock($1::int, $2::int)`, LOCK);
    return fn(m);
  });
}

export async function openAlerts(q: Queryable): Promise<StoredAlert[]> {
  return q.query(`SELECT ${ALERT} FROM alerts ORDER BY alerts.id`);
}

export async function insertAlerts(q: Queryable, alerts: NewAlert[], now: Date): Promise<StoredAlert[]> {
  if (alerts.length === 0) return [];
  return q.query(
    `INSERT INTO alerts (cause, kind, company_id, concur_batch_id, summary, reason, link, opened_at)
     SELECT a->>'cause', a->>'kind', a->>'company', a->>'batch', a->>'summary', a->>'reason', a->>'link', $2
     FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(a, n) ORDER BY e.n
     ON CONFLICT (cause) DO NOTHING RETURNING ${ALERT}`,
    [JSON.stringify(alerts), now],
  );
}

export async function deleteAlerts(q: Queryable, causes: string[]): Promise<StoredAlert[]> {
  if (causes.length === 0) return [];
  const { rows } = await update<StoredAlert>(q, `DELETE FROM alerts WHERE cause = ANY($1) RETURNING ${ALERT}`, [causes]);
  return rows.sort((a, b) => Number(a.id) - Number(b.id));
}

export interface OutboxEntry {
  target: string;
  message: unknown;
  bytes: number;
}

export async function enqueueAlerts(q: Queryable, entries: OutboxEntry[], now: Date): Promise<void> {
  if (entries.length === 0) return;
  await q.query(
    `INSERT INTO alert_outbox (target, message, bytes, created_at, next_attempt_at)
     SELECT e.v->>'target', e.v->'message', (e.v->>'bytes')::int, $2, $2 FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS e(v, n) ORDER BY e.n`,
    [JSON.stringify(entries), now],
  );
}

/**
 * Keeps the outbox within its bounds: rows for targets no longer configured go, then the oldest beyond `maxRows`
 * or `maxBytes`. Returns the targets of the rows dropped, one entry per row.
 */
export async function trimOutbox(q: Queryable, targets: string[], maxRows: number, maxBytes: number): Promise<{ unconfigured: string[]; overflow: string[] }> {
  const unconfigured = await update<{ target: string }>(q, `DELETE FROM alert_outbox WHERE NOT (target = ANY($1)) RETURNING target`, [targets]);
  const overflow = await update<{ target: string }>(
    q,
    `DELETE FROM alert_outbox WHERE id IN (
       SELECT id FROM (SELECT id, row_number() OVER w AS n, sum(bytes) OVER w AS b FROM alert_outbox WINDOW w AS (ORDER BY id DESC)) r
       WHERE n > $1 OR b > $2)
     RETURNING target`,
    [maxRows, maxBytes],
  );
  return { unconfigured: unconfigured.rows.map((r) => r.target), overflow: overflow.rows.map((r) => r.target) };
}

export interface OutboxRow {
  id: string;
  message: unknown;
  attempts: number;
}

/**
 * The target's oldest undelivered announcement when it is due, leased until `leaseUntil` (a process that dies while
 * sending leaves it to be sent again then). Only the head is ever taken: a target gets its alerts in order.
 */
export async function claimOutboxHead(q: Queryable, target: string, now: Date, leaseUntil: Date): Promise<OutboxRow | null> {
  const { rows } = await update<OutboxRow>(
    q,
    `WITH head AS (SELECT id FROM alert_outbox WHERE target = $1 ORDER BY id LIMIT 1 FOR UPDATE)
     UPDATE alert_outbox o SET attempts = o.attempts + 1, next_attempt_at = $3 FROM head
     WHERE o.id = head.id AND o.next_attempt_at <= $2
     RETURNING o.id::text AS id, o.message, o.attempts`,
    [target, now, leaseUntil],
  );
  return rows[0] ?? null;
}

/** Delivered, or refused for good: the row goes. */
export async function removeFromOutbox(q: Queryable, id: string): Promise<void> {
  await q.query(`DELETE FROM alert_outbox WHERE id = $1`, [id]);
}

export async function retryOutboxLater(q: Queryable, id: string, nextAt: Date, error: string): Promise<void> {
  await q.query(`UPDATE alert_outbox SET next_attempt_at = $2, last_error = $3 WHERE id = $1`, [id, nextAt, error]);
}

/** Per target: announcements waiting, and the age of the oldest (for /metrics). */
export async function pendingAlerts(q: Queryable): Promise<Array<{ target: string; n: number; oldestSeconds: number }>> {
  return q.query(
    `SELECT target, count(*)::int AS n, EXTRACT(EPOCH FROM now() - min(created_at))::float8 AS "oldestSeconds" FROM alert_outbox GROUP BY target ORDER BY target`,
  );
}

export async function openAlertsByKind(q: Queryable): Promise<Array<{ kind: string; n: number }>> {
  return q.query(`SELECT kind, count(*)::int AS n FROM alerts GROUP BY kind ORDER BY kind`);
}
