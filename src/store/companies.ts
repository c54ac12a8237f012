// SQL for companies: the discovery schedule and its lease, authorisation state, cycle bookkeeping.
import type { Queryable } from '../db/sql.js';
import { update } from '../db/sql.js';

/** Takes the discovery of a company when it is due and nobody else holds it; false otherwise. */
export async function claimDiscovery(db: Queryable, companyId: string, worker: string, now: Date, leaseMs: number, force = false): Promise<boolean> {
  const { count } = await update(
    db,
    `UPDATE companies SET discovery_claimed_by = $2, discovery_claim_expires_at = $3::timestamptz + make_interval(secs => $4::float8 / 1000)
     WHERE id = $1 AND ($5 OR next_discovery_at <= $3)
       AND (discovery_claim_expires_at IS NULL OR discovery_claim_expires_at <= $3 OR discovery_claimed_by = $2)`,
    [companyId, worker, now, leaseMs, force],
  );
  return count === 1;
}

/** Records the end of a discovery and when the next one is due; releases the lease. */
export async function finishDiscovery(db: Queryable, companyId: string, worker: string, nextAt: Date, error: string | null): Promise<void> {
  await db.query(
    `UPDATE companies SET next_discovery_at = $3, discovery_claimed_by = NULL, discovery_claim_expires_at = NULL,
       last_discovery_error = $4, last_cycle_at = now(), last_success_at = CASE WHEN $4::text IS NULL THEN now() ELSE last_success_at END,
       updated_at = now()
     WHERE id = $1 AND discovery_claimed_by = $2`,
    [companyId, worker, nextAt, error],
  );
}

export interface CompanyStatus {
  id: string;
  authState: 'ok' | 'needs_reauth';
  authError: string | null;
  lastSuccessAt: Date | null;
  nextDiscoveryAt: Date | null;
  lastDiscoveryError: string | null;
}

export async function companyStatuses(db: Queryable): Promise<CompanyStatus[]> {
  return db.query(
    `SELECT id, auth_state AS "authState", auth_error AS "authError", last_success_at AS "lastSuccessAt",
            CASE WHEN next_discovery_at = '-infinity' THEN NULL ELSE next_discovery_at END AS "nextDiscoveryAt",
            last_discovery_error AS "lastDiscoveryError"
     FROM companies ORDER BY id`,
  );
}
