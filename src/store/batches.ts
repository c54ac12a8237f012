// SQL for batches: discovery upserts, claims (src/store/claims.ts), step starts, transitions with their audit events, status reads.
import type { DataSource } from 'typeorm';
import type { BatchState } from '../model/batch-state.js';
import type { Transition } from '../model/transition.js';
import type { Reconciliation } from '../model/reconciliation.js';
import { update, type Queryable } from '../db/sql.js';
import { prepared } from '../db/prepared.js';
import { acquire, fencedBy, held, notHeld, release, renew, type Holder } from './claims.js';

export interface BatchRow {
  id: string;
  companyId: string;
  concurBatchId: string;
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
  /** The step last begun and how many times it was begun without a transition since (the process died each time). */
  stepStarted: string | null;
  stepStarts: number;
}

const COLUMNS = `id::text AS "id", company_id AS "companyId", concur_batch_id AS "concurBatchId", name, batch_url AS "batchUrl", type,
  payment_method AS "paymentMethod", currency, batch_total::text AS "batchTotal", payment_demands AS "paymentDemands", state,
  state_data AS "stateData", file_url AS "fileUrl", attempts, next_attempt_at AS "nextAttemptAt", last_error AS "lastError",
  quarantine_reason AS "quarantineReason", reconciliation, closed_at AS "closedAt", step_started AS "stepStarted",
  step_starts AS "stepStarts"`;

export interface DiscoveredBatch {
  companyId: string;
  concurBatchId: string;
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
 * figures while it is still open. Returns true when the batch is new. One statement (one round trip, not a
 * transaction of three); the refresh reads the snapshot the statement began with, where a known batch exists.
 */
export async function upsertDiscovered(db: Queryable, b: DiscoveredBatch): Promise<boolean> {
  const [row]: Array<{ added: boolean }> = await db.query(
    prepared(`WITH inserted AS (
       INSERT INTO batches (company_id, concur_batch_id, name, batch_url, type, payment_method, currency, batch_total, payment_demands,
                            state, state_data, next_attempt_at, closed_at)
       VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12, CASE WHEN $10 = 'closed' THEN $12::timestamptz END)
       ON CONFLICT (company_id, source, concur_batch_id) DO NOTHING
       RETURNING id, company_id
     ), event AS (
       INSERT INTO batch_events (batch_row_id, company_id, kind, to_state, detail)
       SELECT id, company_id, CASE WHEN $10 = 'closed' THEN 'adopted_closed' ELSE 'discovered' END, $10, $13 FROM inserted
     ), refreshed AS (
       UPDATE batches SET name = $3, batch_url = $4, batch_total = $8, payment_demands = $9, updated_at = now()
       WHERE company_id = $1 AND concur_batch_id = $2 AND state IN ('discovered', 'empty')
         AND (batch_total IS DISTINCT FROM $8::numeric OR payment_demands IS DISTINCT FROM $9 OR batch_url IS DISTINCT FROM $4)
     )
     SELECT EXISTS (SELECT 1 FROM inserted) AS added`),
    [
      b.companyId, b.concurBatchId, b.name, b.batchUrl, b.type, b.paymentMethod, b.currency, b.batchTotal, b.paymentDemands, b.state, b.stateData, b.nextAttemptAt,
      { name: b.name, total: b.batchTotal, currency: b.currency, count: b.paymentDemands },
    ],
  );
  return row?.added === true;
}

export async function knownConcurBatchIds(db: Queryable, companyId: string): Promise<Set<string>> {
  const rows: Array<{ e: string }> = await db.query(prepared(`SELECT concur_batch_id AS e FROM batches WHERE company_id = $1`), [companyId]);
  return new Set(rows.map((r) => r.e));
}

export interface ClaimOptions {
  holder: Holder;
  now: Date;
  leaseMs: number;
  limit: number;
  perCompany: number;
  /** Restrict to these companies (run-once for a subset); all when absent. */
  companies?: string[];
  /** Only batches whose step was begun without finishing (true), only the others (false), or any (absent). */
  suspects?: boolean;
}

/**
 * Claims due batches for this holder. Candidates are chosen under the per-company limit, then claimed; a candidate
 * another worker claimed first, or that moved on before the claim, is not returned (and not kept).
 */
export async function claimDue(db: Queryable, claim: ClaimOptions): Promise<BatchRow[]> {
  const candidates: Array<{ id: string }> = await db.query(
    prepared(`WITH active AS (
       SELECT b.company_id, count(*)::int AS n FROM claims c JOIN batches b ON c.kind = 'batch' AND b.id::text = c.key
       WHERE ${held('c', '$1')} GROUP BY b.company_id
     ), ranked AS (
       SELECT b.id, b.company_id, COALESCE(a.n, 0) AS busy,
              row_number() OVER (PARTITION BY b.company_id ORDER BY b.next_attempt_at NULLS FIRST, b.id) AS rn
       FROM batches b LEFT JOIN active a USING (company_id)
       WHERE b.state NOT IN ('done', 'quarantined')
         AND (b.next_attempt_at IS NULL OR b.next_attempt_at <= $1)
         AND ${notHeld('batch', 'b.id::text', '$1')}
         AND ($4::text[] IS NULL OR b.company_id = ANY($4))
         AND ($5::boolean IS NULL OR (b.step_starts > 0) = $5)
     )
     SELECT id::text AS id FROM ranked WHERE rn + busy <= $3 ORDER BY rn, id LIMIT $2`),
    [claim.now, claim.limit, claim.perCompany, claim.companies ?? null, claim.suspects ?? null],
  );
  const won = await acquire(db, 'batch', candidates.map((c) => c.id), claim.holder, claim.now, claim.leaseMs);
  if (won.length === 0) return [];
  const rows: BatchRow[] = await db.query(
    prepared(`SELECT ${COLUMNS} FROM batches WHERE id::text = ANY($1) AND state NOT IN ('done', 'quarantined') AND (next_attempt_at IS NULL OR next_attempt_at <= $2) ORDER BY id`),
    [won, claim.now],
  );
  const moved = won.filter((id) => !rows.some((r) => r.id === id));
  await release(db, 'batch', moved, claim.holder);
  return rows;
}

/** Extends this holder's lease on a batch during a long step; false when the claim was lost. */
export async function renewClaim(db: Queryable, batchRowId: string, holder: Holder, now: Date, leaseMs: number): Promise<boolean> {
  return renew(db, 'batch', batchRowId, holder, now, leaseMs);
}

export async function releaseClaim(db: Queryable, batchRowId: string, holder: Holder): Promise<void> {
  await release(db, 'batch', [batchRowId], holder);
}

/**
 * Commits that `step` begins, before it does anything: a process that dies inside the step leaves the count
 * behind. Fenced like a transition; returns the starts without a finish so far, this one included.
 */
export async function beginStep(db: Queryable, batch: Pick<BatchRow, 'id' | 'state'>, holder: Holder, step: string): Promise<number> {
  const { rows } = await update<{ n: number }>(
    db,
    prepared(`UPDATE batches SET step_starts = CASE WHEN step_started = $3 THEN step_starts + 1 ELSE 1 END, step_started = $3
     WHERE id = $1 AND state = $4 AND ${fencedBy('batch', '$1::bigint::text', '$2')}
     RETURNING step_starts AS n`),
    [batch.id, holder.id, step, batch.state],
  );
  if (!rows[0]) throw new LostClaimError(`batch ${batch.id}: claim lost or state changed before ${step} began`);
  return rows[0].n;
}

export class LostClaimError extends Error {
  override name = 'LostClaimError';
}

export interface CommitOptions {
  /** The step the caller runs next on the batch at once: its start is counted with the commit (see beginStep). */
  begins?: string | null;
  /** The caller is done with the batch: its claim is released with the commit. */
  release?: boolean;
}

/**
 * Commits a transition and its audit event, and returns the batch as committed: one statement, so one round trip
 * and both or neither. Fenced: only the claim holder, from the state it read, may move the batch; otherwise
 * LostClaimError (another worker took over after our lease expired). `begins` and `release` save the statements
 * a worker would send next (a step's start, the claim's release) in the same one.
 */
export async function commitTransition(
  db: Queryable, batch: Pick<BatchRow, 'id' | 'companyId' | 'state'>, holder: Holder, t: Transition, step: string, o: CommitOptions = {},
): Promise<BatchRow> {
  const s = t.set;
  const rows: BatchRow[] = await db.query(
    prepared(`WITH moved AS (
       UPDATE batches SET state = $3, attempts = $4, next_attempt_at = $5, last_error = $6,
         file_url = COALESCE($7, file_url), close_requested_at = COALESCE($8, close_requested_at), closed_at = COALESCE($9, closed_at),
         fetched_at = COALESCE($10, fetched_at), loaded_at = COALESCE($11, loaded_at), delivered_at = COALESCE($12, delivered_at),
         done_at = COALESCE($13, done_at), reconciliation = COALESCE($14, reconciliation),
         quarantine_reason = CASE WHEN $3 = 'quarantined' THEN $15 ELSE NULL END,
         state_data = CASE WHEN $16::jsonb IS NULL THEN state_data ELSE state_data || $16::jsonb END,
         step_started = $20::text, step_starts = CASE WHEN $20::text IS NULL THEN 0 ELSE 1 END, updated_at = now()
       WHERE id = $1 AND state = $17 AND ${fencedBy('batch', '$1::bigint::text', '$2')}
       RETURNING ${COLUMNS}
     ), event AS (
       INSERT INTO batch_events (batch_row_id, company_id, kind, from_state, to_state, detail)
       SELECT "id"::bigint, "companyId", $18, $17, $3, $19 FROM moved
     ), released AS (
       DELETE FROM claims WHERE $21 AND kind = 'batch' AND key = $1::bigint::text AND holder = $2 AND EXISTS (SELECT 1 FROM moved)
     )
     SELECT * FROM moved`),
    [
      batch.id, holder.id, t.state, t.attempts, t.nextAttemptAt, t.lastError,
      s.fileUrl ?? null, s.closeRequestedAt ?? null, s.closedAt ?? null, s.fetchedAt ?? null, s.loadedAt ?? null,
      s.deliveredAt ?? null, s.doneAt ?? null, s.reconciliation ?? null, s.quarantineReason ?? null,
      s.stateData ? JSON.stringify(s.stateData) : null, batch.state, t.event, { step, worker: holder.id, ...t.detail },
      o.begins ?? null, o.release ?? false,
    ],
  );
  if (!rows[0]) throw new LostClaimError(`batch ${batch.id}: claim lost or state changed before ${t.event}`);
  return rows[0];
}

/** `commitTransition` for a caller that does not need the row back. */
export async function applyTransition(db: Queryable, batch: Pick<BatchRow, 'id' | 'companyId' | 'state'>, holder: Holder, t: Transition, step: string): Promise<void> {
  await commitTransition(db, batch, holder, t, step);
}

/** Records a notable event of a batch that is not a transition (e.g. a re-load whose figures differ). */
export async function appendEvent(db: Queryable, batch: Pick<BatchRow, 'id' | 'companyId' | 'state'>, kind: string, detail: Record<string, unknown>): Promise<void> {
  await db.query(`INSERT INTO batch_events (batch_row_id, company_id, kind, from_state, to_state, detail) VALUES ($1, $2, $3, $4, $4, $5)`, [
    batch.id, batch.companyId, kind, batch.state, detail,
  ]);
}

/** Puts a quarantined batch back to work from the state it should resume at (erp-sync retry); `by`: who asked. */
export async function requeue(db: DataSource, batchRowId: string, toState: BatchState, reason: string, by?: string): Promise<boolean> {
  return db.transaction(async (m) => {
    const { rows } = await update<{ company_id: string }>(
      m,
      `UPDATE batches SET state = $2, attempts = 0, next_attempt_at = now(), quarantine_reason = NULL, last_error = NULL,
         step_started = NULL, step_starts = 0, updated_at = now()
       WHERE id = $1 AND state = 'quarantined' RETURNING company_id`,
      [batchRowId, toState],
    );
    if (!rows[0]) return false;
    await m.query(`INSERT INTO batch_events (batch_row_id, company_id, kind, from_state, to_state, detail) VALUES ($1, $2, 'requeued', 'quarantined', $3, $4)`, [
      batchRowId, rows[0].company_id, toState, { reason, ...(by === undefined ? {} : { by }) },
    ]);
    return true;
  });
}

export async function getBatch(db: Queryable, batchRowId: string): Promise<BatchRow | null> {
  const rows: BatchRow[] = await db.query(`SELECT ${COLUMNS} FROM batches WHERE id = $1`, [batchRowId]);
  return rows[0] ?? null;
}

/**
 * Finds a batch by internal id or by company + Concur batch id ("acme/1234" or "1234"); an unambiguous prefix of
 * Concur's id is enough. An exact id wins over prefixes.
 */
export async function findBatch(db: Queryable, ref: string): Promise<BatchRow[]> {
  const [company, batchRef] = ref.includes('/') ? ref.split('/', 2) : [null, ref];
  if (!batchRef) return [];
  const rows: BatchRow[] = await db.query(
    `SELECT ${COLUMNS} FROM batches WHERE ($1::text IS NULL OR company_id = $1) AND (starts_with(concur_batch_id, $2) OR ($1::text IS NULL AND id::text = $2)) ORDER BY id`,
    [company, batchRef],
  );
  const exact = rows.filter((b) => b.concurBatchId === batchRef || (company === null && b.id === batchRef));
  return exact.length ? exact : rows;
}

/** A company's batches waiting to be closed (state discovered) that no worker holds. */
export async function waitingToClose(db: Queryable, companyId: string, now: Date): Promise<BatchRow[]> {
  return db.query(prepared(`SELECT ${COLUMNS} FROM batches b WHERE company_id = $1 AND state = 'discovered' AND ${notHeld('batch', 'b.id::text', '$2')}`), [companyId, now]);
}

/** Moves a waiting batch's next attempt earlier (a changed configuration made it due sooner); false if it moved on. */
export async function advanceNextAttempt(db: Queryable, batchRowId: string, at: Date): Promise<boolean> {
  const { count } = await update(db, `UPDATE batches SET next_attempt_at = $2, updated_at = now() WHERE id = $1 AND state = 'discovered' AND next_attempt_at > $2`, [batchRowId, at]);
  return count > 0;
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
export async function stateBeforeQuarantine(db: Queryable, batchRowId: string): Promise<BatchState | null> {
  const rows: Array<{ s: BatchState }> = await db.query(
    `SELECT from_state AS s FROM batch_events WHERE batch_row_id = $1 AND to_state = 'quarantined' ORDER BY id DESC LIMIT 1`,
    [batchRowId],
  );
  return rows[0]?.s ?? null;
}

/** Sends a delivered (or quarantined-at-delivery) batch back to delivery (erp-sync replay), audited with who asked (`by`). */
export async function reopenForDelivery(db: DataSource, batchRowId: string, sink: string | null, by?: string): Promise<boolean> {
  return db.transaction(async (m) => {
    const { rows } = await update<{ company_id: string; prev: string }>(
      m,
      `UPDATE batches b SET state = 'loaded', attempts = 0, next_attempt_at = now(), quarantine_reason = NULL, last_error = NULL, done_at = NULL,
         step_started = NULL, step_starts = 0, updated_at = now()
       FROM (SELECT id, state AS prev FROM batches WHERE id = $1 FOR UPDATE) old
       WHERE b.id = old.id AND old.prev IN ('done', 'loaded', 'quarantined') AND b.loaded_at IS NOT NULL
       RETURNING b.company_id, old.prev`,
      [batchRowId],
    );
    const row = rows[0];
    if (!row) return false;
    await m.query(`UPDATE deliveries SET state = 'pending', updated_at = now() WHERE batch_row_id = $1 AND ($2::text IS NULL OR sink = $2)`, [batchRowId, sink]);
    await m.query(`INSERT INTO batch_events (batch_row_id, company_id, kind, from_state, to_state, detail) VALUES ($1, $2, 'replay_requested', $3, 'loaded', $4)`, [
      batchRowId, row.company_id, row.prev, { sink, ...(by === undefined ? {} : { by }) },
    ]);
    return true;
  });
}

/** When the earliest unfinished batch of these companies is due (in the past when due now); null when none waits for work. */
export async function nextDueAt(db: Queryable, companies: string[], now: Date): Promise<Date | null> {
  // Discovered and empty batches wait for their close window: only counted once it is open.
  const [row]: Array<{ at: Date | null }> = await db.query(
    prepared(`SELECT min(COALESCE(next_attempt_at, '-infinity')) AS at FROM batches
     WHERE company_id = ANY($1) AND state NOT IN ('done', 'quarantined') AND (state NOT IN ('discovered', 'empty') OR next_attempt_at <= $2)`),
    [companies, now],
  );
  return row?.at ?? null;
}

export interface UnfinishedBatch {
  companyId: string;
  concurBatchId: string;
  state: BatchState;
  nextAttemptAt: Date | null;
  lastError: string | null;
  heldBy: string | null;
}

/** The batches of these companies that are not done or quarantined, with the live holder of their claim. */
export async function unfinishedBatches(db: Queryable, companies: string[], now: Date): Promise<UnfinishedBatch[]> {
  return db.query(
    `SELECT b.company_id AS "companyId", b.concur_batch_id AS "concurBatchId", b.state, b.next_attempt_at AS "nextAttemptAt", b.last_error AS "lastError",
            c.holder AS "heldBy"
     FROM batches b LEFT JOIN claims c ON c.kind = 'batch' AND c.key = b.id::text AND ${held('c', '$2')}
     WHERE b.company_id = ANY($1) AND b.state NOT IN ('done', 'quarantined')
     ORDER BY b.company_id, b.id`,
    [companies, now],
  );
}

/** Batches of these companies that became done or quarantined since `since`, per company. */
export async function finishedSince(db: Queryable, companies: string[], since: Date): Promise<Array<{ companyId: string; kind: 'done' | 'quarantined'; n: number }>> {
  return db.query(
    `SELECT company_id AS "companyId", kind, count(*)::int AS n FROM batch_events
     WHERE kind IN ('done', 'quarantined') AND at >= $2 AND company_id = ANY($1) GROUP BY 1, 2`,
    [companies, since],
  );
}
