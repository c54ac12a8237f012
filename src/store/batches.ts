// SQL for batches: discovery upserts, claims with leases, transitions with their audit events, status reads.
import type { DataSource } from 'typeorm';
import type { BatchState } from '../pipeline/states.js';
import type { Transition } from '../pipeline/machine.js';
import type { Reconciliation } from '../model/reconciliation.js';
import { update, type Queryable } from '../db/sql.js';

export interface BatchRow {
  id: string;
  companyId: string;
  externalId: string;
  name: string | null;
  batchUrl: string | null;
  type: string | null;
  paymentMethod: string | null;
  currency: string | null;
  batchTotal: string | null;
  paymentDemands: number | null;
  state: BatchState;
  stateData: Record<string, unknown>;
  fileUrl: string | null;
  attempts: number;
  nextAttemptAt: Date | null;
  lastError: string | null;
  quarantineReason: string | null;
  reconciliation: Reconciliation | null;
  closedAt: Date | null;
  claimedBy: string | null;
}

const COLUMNS = `id::text AS "id", company_id AS "companyId", external_id AS "externalId", name, batch_url AS "batchUrl", type,
  payment_method AS "paymentMethod", currency, batch_total::text AS "batchTotal", payment_demands AS "paymentDemands", state,
  state_data AS "stateData", file_url AS "fileUrl", attempts, next_attempt_at AS "nextAttemptAt", last_error AS "lastError",
  quarantine_reason AS "quarantineReason", reconciliation, closed_at AS "closedAt", claimed_by AS "claimedBy"`;

export interface DiscoveredBatch {
  companyId: string;
  externalId: string;
  name: string;
  batchUrl: string;
  type: string;
  paymentMethod: string;
  currency: string;
  batchTotal: string;
  paymentDemands: number;
  /** discovered (OPEN) or closed (adopted: closed by someone else). */
  state: 'discovered' | 'closed';
  nextAttemptAt: Date;
  stateData: Record<string, unknown>;
}

/**
 * Inserts a newly seen batch with its first audit event; for a known batch only refreshes the list's
 * figures while it is still open. Returns true when the batch is new.
 */
export async function upsertDiscovered(db: DataSource, b: DiscoveredBatch): Promise<boolean> {
  return db.transaction(async (m) => {
    const inserted: Array<{ id: string }> = await m.query(
      `INSERT INTO batches (company_id, external_id, name, batch_url, type, payment_method, currency, batch_total, payment_demands,
                            state, state_data, next_attempt_at, closed_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12, CASE WHEN $10 = 'closed' THEN $12::timestamptz END)
       ON CONFLICT (company_id, source, external_id) DO NOTHING
       RETURNING id::text AS id`,
      [b.companyId, b.externalId, b.name, b.batchUrl, b.type, b.paymentMethod, b.currency, b.batchTotal, b.paymentDemands, b.state, b.stateData, b.nextAttemptAt],
    );
    const row = inserted[0];
    if (row) {
      await m.query(`INSERT INTO batch_events (batch_id, company_id, kind, to_state, detail) VALUES ($1, $2, $3, $4, $5)`, [
        row.id,
        b.companyId,
        b.state === 'closed' ? 'adopted_closed' : 'discovered',
        b.state,
        { name: b.name, total: b.batchTotal, currency: b.currency, count: b.paymentDemands },
      ]);
      return true;
    }
    await m.query(
      `UPDATE batches SET name = $3, batch_url = $4, batch_total = $5, payment_demands = $6, updated_at = now()
       WHERE company_id = $1 AND external_id = $2 AND state IN ('discovered', 'empty')
         AND (batch_total IS DISTINCT FROM $5::numeric OR payment_demands IS DISTINCT FROM $6 OR batch_url IS DISTINCT FROM $4)`,
      [b.companyId, b.externalId, b.name, b.batchUrl, b.batchTotal, b.paymentDemands],
    );
    return false;
  });
}

export async function knownExternalIds(db: Queryable, companyId: string): Promise<Set<string>> {
  const rows: Array<{ e: string }> = await db.query(`SELECT external_id AS e FROM batches WHERE company_id = $1`, [companyId]);
  return new Set(rows.map((r) => r.e));
}

export interface ClaimOptions {
  worker: string;
  now: Date;
  leaseMs: number;
  limit: number;
  perCompany: number;
  /** Restrict to these companies (run-once for a subset); all when absent. */
  companies?: string[];
}

/**
 * Claims due batches for this worker. Candidates are chosen under the per-company limit; the UPDATE re-checks
 * the lease, so two workers racing for a row never both get it (the loser's UPDATE sees the new lease).
 */
export async function claimDue(db: Queryable, o: ClaimOptions): Promise<BatchRow[]> {
  const { rows } = await update<BatchRow>(
    db,
    `WITH active AS (
       SELECT company_id, count(*)::int AS n FROM batches WHERE claim_expires_at > $2 GROUP BY company_id
     ), ranked AS (
       SELECT b.id, b.company_id, COALESCE(a.n, 0) AS busy,
              row_number() OVER (PARTITION BY b.company_id ORDER BY b.next_attempt_at NULLS FIRST, b.id) AS rn
       FROM batches b LEFT JOIN active a USING (company_id)
       WHERE b.state NOT IN ('done', 'quarantined')
         AND (b.next_attempt_at IS NULL OR b.next_attempt_at <= $2)
         AND (b.claim_expires_at IS NULL OR b.claim_expires_at <= $2)
         AND ($6::text[] IS NULL OR b.company_id = ANY($6))
     ), chosen AS (
       SELECT id FROM ranked WHERE rn + busy <= $5 ORDER BY rn, id LIMIT $4
     )
     UPDATE batches b SET claimed_by = $1, claim_expires_at = $2::timestamptz + make_interval(secs => $3::float8 / 1000)
     FROM chosen WHERE b.id = chosen.id AND (b.claim_expires_at IS NULL OR b.claim_expires_at <= $2)
     RETURNING ${COLUMNS.replace(/\bid::text/, 'b.id::text')}`,
    [o.worker, o.now, o.leaseMs, o.limit, o.perCompany, o.companies ?? null],
  );
  return rows;
}

/** Extends this worker's lease on a batch during a long step; false when the lease was lost. */
export async function renewClaim(db: Queryable, batchId: string, worker: string, until: Date): Promise<boolean> {
  const { count } = await update(db, `UPDATE batches SET claim_expires_at = $3 WHERE id = $1 AND claimed_by = $2`, [batchId, worker, until]);
  return count === 1;
}

export async function releaseClaim(db: Queryable, batchId: string, worker: string): Promise<void> {
  await db.query(`UPDATE batches SET claimed_by = NULL, claim_expires_at = NULL WHERE id = $1 AND claimed_by = $2`, [batchId, worker]);
}

export class LostClaimError extends Error {
  override name = 'LostClaimError';
}

/**
 * Commits a transition and its audit event. Fenced: only the claim holder, from the state it read, may move the
 * batch; otherwise LostClaimError (another worker took over after our lease expired).
 */
export async function applyTransition(db: Queryable, batch: Pick<BatchRow, 'id' | 'companyId' | 'state'>, worker: string, t: Transition, step: string): Promise<void> {
  const s = t.set;
  const { count } = await update(
    db,
    `UPDATE batches SET state = $3, attempts = $4, next_attempt_at = $5, last_error = $6,
       file_url = COALESCE($7, file_url), close_requested_at = COALESCE($8, close_requested_at), closed_at = COALESCE($9, closed_at),
       fetched_at = COALESCE($10, fetched_at), loaded_at = COALESCE($11, loaded_at), delivered_at = COALESCE($12, delivered_at),
       done_at = COALESCE($13, done_at), reconciliation = COALESCE($14, reconciliation),
       quarantine_reason = CASE WHEN $3 = 'quarantined' THEN $15 ELSE NULL END,
       state_data = CASE WHEN $16::jsonb IS NULL THEN state_data ELSE state_data || $16::jsonb END,
       updated_at = now()
     WHERE id = $1 AND claimed_by = $2 AND state = $17`,
    [
      batch.id, worker, t.state, t.attempts, t.nextAttemptAt, t.lastError,
      s.fileUrl ?? null, s.closeRequestedAt ?? null, s.closedAt ?? null, s.fetchedAt ?? null, s.loadedAt ?? null,
      s.deliveredAt ?? null, s.doneAt ?? null, s.reconciliation ?? null, s.quarantineReason ?? null,
      s.stateData ? JSON.stringify(s.stateData) : null, batch.state,
    ],
  );
  if (count !== 1) throw new LostClaimError(`batch ${batch.id}: claim lost or state changed before ${t.event}`);
  await db.query(`INSERT INTO batch_events (batch_id, company_id, kind, from_state, to_state, detail) VALUES ($1, $2, $3, $4, $5, $6)`, [
    batch.id, batch.companyId, t.event, batch.state, t.state, { step, worker, ...t.detail },
  ]);
}

/** Records a notable event of a batch that is not a transition (e.g. a re-load whose figures differ). */
export async function appendEvent(db: Queryable, batch: Pick<BatchRow, 'id' | 'companyId' | 'state'>, kind: string, detail: Record<string, unknown>): Promise<void> {
  await db.query(`INSERT INTO batch_events (batch_id, company_id, kind, from_state, to_state, detail) VALUES ($1, $2, $3, $4, $4, $5)`, [
    batch.id, batch.companyId, kind, batch.state, detail,
  ]);
}

/** Puts a quarantined batch back to work from the state it should resume at (erp-sync retry). */
export async function requeue(db: DataSource, batchId: string, toState: BatchState, reason: string): Promise<boolean> {
  return db.transaction(async (m) => {
    const { rows } = await update<{ company_id: string }>(
      m,
      `UPDATE batches SET state = $2, attempts = 0, next_attempt_at = now(), quarantine_reason = NULL, last_error = NULL, updated_at = now()
       WHERE id = $1 AND state = 'quarantined' RETURNING company_id`,
      [batchId, toState],
    );
    if (!rows[0]) return false;
    await m.query(`INSERT INTO batch_events (batch_id, company_id, kind, from_state, to_state, detail) VALUES ($1, $2, 'requeued', 'quarantined', $3, $4)`, [
      batchId, rows[0].company_id, toState, { reason },
    ]);
    return true;
  });
}

export async function getBatch(db: Queryable, batchId: string): Promise<BatchRow | null> {
  const rows: BatchRow[] = await db.query(`SELECT ${COLUMNS} FROM batches WHERE id = $1`, [batchId]);
  return rows[0] ?? null;
}

/** Finds a batch by internal id or by company + external id ("acme/1234" or "1234" when unambiguous). */
export async function findBatch(db: Queryable, ref: string): Promise<BatchRow[]> {
  const [company, external] = ref.includes('/') ? ref.split('/', 2) : [null, ref];
  return db.query(
    `SELECT ${COLUMNS} FROM batches WHERE ($1::text IS NULL OR company_id = $1) AND (external_id = $2 OR ($1::text IS NULL AND id::text = $2)) ORDER BY id`,
    [company, external],
  );
}

export async function countByState(db: Queryable): Promise<Array<{ companyId: string; state: BatchState; n: number }>> {
  return db.query(`SELECT company_id AS "companyId", state, count(*)::int AS n FROM batches GROUP BY 1, 2`);
}

/** Per company, how long its oldest batch not yet done or quarantined has been open (0 when none is). */
export async function openBatchAge(db: Queryable): Promise<Array<{ companyId: string; seconds: number }>> {
  return db.query(
    `SELECT c.id AS "companyId", COALESCE(EXTRACT(EPOCH FROM now() - min(b.created_at)), 0)::float8 AS seconds
     FROM companies c LEFT JOIN batches b ON b.company_id = c.id AND b.state NOT IN ('done', 'quarantined')
     GROUP BY c.id`,
  );
}

/** The state a quarantined batch resumes at: the one it was quarantined from. */
export async function stateBeforeQuarantine(db: Queryable, batchId: string): Promise<BatchState | null> {
  const rows: Array<{ s: BatchState }> = await db.query(
    `SELECT from_state AS s FROM batch_events WHERE batch_id = $1 AND to_state = 'quarantined' ORDER BY id DESC LIMIT 1`,
    [batchId],
  );
  return rows[0]?.s ?? null;
}

/** Sends a delivered (or quarantined-at-delivery) batch back to delivery (erp-sync replay), audited. */
export async function reopenForDelivery(db: DataSource, batchId: string, sink: string | null): Promise<boolean> {
  return db.transaction(async (m) => {
    const { rows } = await update<{ company_id: string; prev: string }>(
      m,
      `UPDATE batches b SET state = 'loaded', attempts = 0, next_attempt_at = now(), quarantine_reason = NULL, last_error = NULL, done_at = NULL, updated_at = now()
       FROM (SELECT id, state AS prev FROM batches WHERE id = $1 FOR UPDATE) old
       WHERE b.id = old.id AND old.prev IN ('done', 'loaded', 'quarantined') AND b.loaded_at IS NOT NULL
       RETURNING b.company_id, old.prev`,
      [batchId],
    );
    const row = rows[0];
    if (!row) return false;
    await m.query(`UPDATE deliveries SET state = 'pending', updated_at = now() WHERE batch_id = $1 AND ($2::text IS NULL OR sink = $2)`, [batchId, sink]);
    await m.query(`INSERT INTO batch_events (batch_id, company_id, kind, from_state, to_state, detail) VALUES ($1, $2, 'replay_requested', $3, 'loaded', $4)`, [
      batchId, row.company_id, row.prev, { sink },
    ]);
    return true;
  });
}
