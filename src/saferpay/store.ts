// SQL for Saferpay batch closes: a row per close committed before the first send, a claim (src/store/claims.ts)
// while one replica works on it, the outcome of every attempt, and the status read model.
import type { Queryable } from '../db/sql.js';
import { update } from '../db/sql.js';
import type { ErrorFields } from '../model/saferpay-error.js';
import { acquire, notHeld, release, type Holder } from '../store/claims.js';

export type CloseState = 'pending' | 'closed' | 'already-closed' | 'failed' | 'config-error';

export interface CloseRow {
  id: string;
  terminalId: string;
  terminalName: string;
  businessDay: string;
  seq: number;
  requestId: string;
  state: CloseState;
  attempts: number;
  nextAttemptAt: Date;
  forcedBy: string | null;
}

export interface TerminalRef {
  terminalId: string;
  terminalName: string;
  customerId: string;
}

export interface AnswerFields extends ErrorFields {
  lastError: string | null;
}

const ROW = `id::text AS id, terminal_id AS "terminalId", terminal_name AS "terminalName", to_char(business_day, 'YYYY-MM-DD') AS "businessDay",
  seq, request_id AS "requestId", state, attempts, next_attempt_at AS "nextAttemptAt", forced_by AS "forcedBy"`;

/**
 * Opens the day's close unless it exists or another close of the terminal is pending (the unique constraints
 * decide between replicas). Returns whether this call created it.
 */
export async function openDayClose(db: Queryable, t: TerminalRef, businessDay: string, requestId: string, now: Date): Promise<boolean> {
  // The NOT EXISTS keeps passes with nothing due from drawing sequence values; the constraints still decide races.
  const rows: unknown[] = await db.query(
    `INSERT INTO saferpay_closes (terminal_id, terminal_name, customer_id, business_day, seq, request_id, next_attempt_at)
     SELECT $1, $2, $3, $4::date, 0, $5, $6
     WHERE NOT EXISTS (SELECT 1 FROM saferpay_closes WHERE terminal_id = $1 AND (business_day = $4::date OR state = 'pending'))
     ON CONFLICT DO NOTHING RETURNING id`,
    [t.terminalId, t.terminalName, t.customerId, businessDay, requestId, now],
  );
  return rows.length === 1;
}

/** Opens an extra close for a day (operator's --force), audited by who forced it; null when one is pending or a race was lost. */
export async function openForcedClose(db: Queryable, t: TerminalRef, businessDay: string, requestId: string, forcedBy: string, now: Date): Promise<CloseRow | null> {
  const rows: CloseRow[] = await db.query(
    `INSERT INTO saferpay_closes (terminal_id, terminal_name, customer_id, business_day, seq, request_id, next_attempt_at, forced_by)
     SELECT $1, $2, $3, $4::date, COALESCE(max(seq), 0) + 1, $5, $6, $7 FROM saferpay_closes WHERE terminal_id = $1 AND business_day = $4::date
     ON CONFLICT DO NOTHING RETURNING ${ROW}`,
    [t.terminalId, t.terminalName, t.customerId, businessDay, requestId, now, forcedBy],
  );
  return rows[0] ?? null;
}

/** Takes the terminal's pending close when it is due (or `anyTime`) and nobody holds it. */
export async function claimPending(db: Queryable, terminalId: string, holder: Holder, now: Date, leaseMs: number, anyTime = false): Promise<CloseRow | null> {
  const pending = (extra: string): Promise<CloseRow[]> =>
    db.query(`SELECT ${ROW} FROM saferpay_closes c WHERE terminal_id = $1 AND state = 'pending' AND ($2 OR next_attempt_at <= $3) ${extra}`, [terminalId, anyTime, now]);
  const [candidate] = await pending(`AND ${notHeld('saferpay', 'c.id::text', '$3')}`);
  if (!candidate) return null;
  if ((await acquire(db, 'saferpay', [candidate.id], holder, now, leaseMs)).length === 0) return null;
  // Re-read under the claim: the close may have been finished by the replica that held it until just now.
  const [row] = await pending(`AND c.id = ${Number(candidate.id)}`);
  if (!row) await release(db, 'saferpay', [candidate.id], holder);
  return row ?? null;
}

/** Runs `sql` (an UPDATE of saferpay_closes … WHERE id = $1) only while `holder` ($2) has the claim, renewing it until $3. */
const whileHeld = (sql: string) =>
  `WITH renewed AS (UPDATE claims SET expires_at = $3 WHERE kind = 'saferpay' AND key = $1::bigint::text AND holder = $2 RETURNING key)
   ${sql} AND id::text IN (SELECT key FROM renewed)`;

/** Ends the claim and runs `sql` (an UPDATE … WHERE id = $1) when `holder` ($2) had it. */
const releasing = (sql: string) =>
  `WITH released AS (DELETE FROM claims WHERE kind = 'saferpay' AND key = $1::bigint::text AND holder = $2 RETURNING key)
   ${sql} AND id::text IN (SELECT key FROM released)`;

/**
 * Counts a send before it happens and renews the lease; returns the attempt number (RetryIndicator + 1), or null
 * when the claim was lost or the ten sends are spent. A crash after this commit makes the next send a retry.
 */
export async function beginAttempt(db: Queryable, id: string, holder: Holder, now: Date, leaseMs: number): Promise<number | null> {
  const { rows } = await update<{ attempts: number }>(
    db,
    whileHeld(`UPDATE saferpay_closes SET attempts = attempts + 1, first_attempt_at = COALESCE(first_attempt_at, $4), last_attempt_at = $4, updated_at = now()
     WHERE id = $1 AND state = 'pending' AND attempts < 10`) + ' RETURNING attempts',
    [id, holder.id, new Date(now.getTime() + leaseMs), now],
  );
  return rows[0]?.attempts ?? null;
}

const FIELDS = `error_name = $4, behavior = $5, http_status = $6, last_error = $7, error_message = $8, error_detail = $9, updated_at = now()`;
const fieldParams = (f: AnswerFields) => [f.errorName, f.behavior, f.httpStatus, f.lastError, f.errorMessage, f.errorDetail === null ? null : JSON.stringify(f.errorDetail)];

/** Records an answer that will be retried in this run, holding the claim until `holdUntil`. */
export async function recordAnswer(db: Queryable, id: string, holder: Holder, f: AnswerFields, holdUntil: Date): Promise<void> {
  await db.query(whileHeld(`UPDATE saferpay_closes SET ${FIELDS} WHERE id = $1`), [id, holder.id, holdUntil, ...fieldParams(f)]);
}

/** Schedules the next attempt and releases the claim. */
export async function scheduleRetry(db: Queryable, id: string, holder: Holder, nextAt: Date, f: AnswerFields): Promise<void> {
  await db.query(releasing(`UPDATE saferpay_closes SET ${FIELDS}, next_attempt_at = $3 WHERE id = $1 AND state = 'pending'`), [id, holder.id, nextAt, ...fieldParams(f)]);
}

/** Records the final outcome and releases the claim. */
export async function finishClose(db: Queryable, id: string, holder: Holder, state: Exclude<CloseState, 'pending'>, f: AnswerFields, now: Date): Promise<void> {
  await db.query(releasing(`UPDATE saferpay_closes SET ${FIELDS}, state = $3, finished_at = $10 WHERE id = $1 AND state = 'pending'`), [id, holder.id, state, ...fieldParams(f), now]);
}

/** The closes of a terminal for one business day, in order. */
export async function dayCloses(db: Queryable, terminalId: string, businessDay: string): Promise<CloseRow[]> {
  return db.query(`SELECT ${ROW} FROM saferpay_closes WHERE terminal_id = $1 AND business_day = $2 ORDER BY seq`, [terminalId, businessDay]);
}

export interface SaferpayStatus extends ErrorFields {
  terminalId: string;
  terminalName: string;
  businessDay: string;
  seq: number;
  requestId: string;
  outcome: CloseState;
  attempts: number;
  lastError: string | null;
  forcedBy: string | null;
  firstAttemptAt: string | null;
  finishedAt: string | null;
  nextAttemptAt: string | null;
  /** When the terminal last closed successfully (any close). */
  lastClosedAt: string | null;
}

const ISO = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

/** The latest close of every terminal that has one, for `erp-sync status`. */
export async function saferpayStatus(db: Queryable): Promise<SaferpayStatus[]> {
  return db.query(
    `SELECT DISTINCT ON (c.terminal_id) c.terminal_id AS "terminalId", c.terminal_name AS "terminalName",
            to_char(c.business_day, 'YYYY-MM-DD') AS "businessDay", c.seq, c.request_id AS "requestId", c.state AS outcome, c.attempts,
            c.error_name AS "errorName", c.behavior, c.http_status AS "httpStatus", c.error_message AS "errorMessage", c.error_detail AS "errorDetail",
            c.last_error AS "lastError", c.forced_by AS "forcedBy",
            ${ISO('c.first_attempt_at')} AS "firstAttemptAt", ${ISO('c.finished_at')} AS "finishedAt",
            CASE WHEN c.state = 'pending' THEN ${ISO('c.next_attempt_at')} END AS "nextAttemptAt",
            (SELECT ${ISO('max(o.finished_at)')} FROM saferpay_closes o WHERE o.terminal_id = c.terminal_id AND o.state = 'closed') AS "lastClosedAt"
     FROM saferpay_closes c
     ORDER BY c.terminal_id, c.business_day DESC, c.seq DESC`,
  );
}

/** A close as `erp-sync status` shows one, but for every close, not only a terminal's latest. */
export type SaferpayCloseRow = Omit<SaferpayStatus, 'lastClosedAt'>;

/** Saferpay closes of the business days since `sinceDay` (YYYY-MM-DD), newest day first, per terminal. */
export async function saferpayCloses(db: Queryable, sinceDay: string): Promise<SaferpayCloseRow[]> {
  return db.query(
    `SELECT terminal_id AS "terminalId", terminal_name AS "terminalName", to_char(business_day, 'YYYY-MM-DD') AS "businessDay", seq,
            request_id AS "requestId", state AS outcome, attempts, error_name AS "errorName", behavior, http_status AS "httpStatus",
            error_message AS "errorMessage", error_detail AS "errorDetail", last_error AS "lastError", forced_by AS "forcedBy",
            first_attempt_at AS "firstAttemptAt", finished_at AS "finishedAt", CASE WHEN state = 'pending' THEN next_attempt_at END AS "nextAttemptAt"
     FROM saferpay_closes WHERE business_day >= $1::date ORDER BY business_day DESC, terminal_id, seq`,
    [sinceDay],
  );
}
