// SQL for companies: the discovery schedule and its claim (src/store/claims.ts), authorisation state, cycle bookkeeping.
import type { Queryable } from '../db/sql.js';
import { acquire, holdersOf, release, type Holder } from './claims.js';
import { prepared } from '../db/prepared.js';

export type DiscoveryClaim = { taken: true } | { taken: false; heldBy: string | null };

/**
 * Takes the discovery of a company when it is due (or `force`) and nobody else holds it. When not taken, `heldBy`
 * names the live holder, or is null when the discovery is simply not due.
 */
export async function claimDiscovery(db: Queryable, companyId: string, holder: Holder, now: Date, leaseMs: number, force = false): Promise<DiscoveryClaim> {
  const due = async () => {
    const rows: unknown[] = await db.query(prepared(`SELECT 1 FROM companies WHERE id = $1 AND ($2 OR next_discovery_at <= $3)`), [companyId, force, now]);
    return rows.length === 1;
  };
  // Forced (run-once), only the company's row is asked for: the re-read under the claim below is enough.
  if (!force && !(await due())) return { taken: false, heldBy: null };
  if ((await acquire(db, 'discovery', [companyId], holder, now, leaseMs)).length === 1) {
    // Re-read under the claim: a replica that listed the company meanwhile has moved its next discovery on.
    if (await due()) return { taken: true };
    await release(db, 'discovery', [companyId], holder);
    return { taken: false, heldBy: null };
  }
  return { taken: false, heldBy: (await holdersOf(db, 'discovery', [companyId], now)).get(companyId)?.holder ?? null };
}

/** Records the end of a discovery and when the next one is due, and releases the claim, in one statement. */
export async function finishDiscovery(db: Queryable, companyId: string, holder: Holder, nextAt: Date, error: string | null): Promise<void> {
  await db.query(
    prepared(`WITH released AS (DELETE FROM claims WHERE kind = 'discovery' AND key = $1 AND holder = $2 RETURNING key)
     UPDATE companies SET next_discovery_at = $3, last_discovery_error = $4, last_cycle_at = now(),
       last_success_at = CASE WHEN $4::text IS NULL THEN now() ELSE last_success_at END, updated_at = now()
     WHERE id IN (SELECT key FROM released)`),
    [companyId, holder.id, nextAt, error],
  );
}

/** The configured companies exist as rows (their names kept current); nothing else of a row changes. One statement for all. */
export async function upsertCompanies(db: Queryable, companies: Array<{ id: string; name: string }>): Promise<void> {
  await db.query(
    `INSERT INTO companies (id, name) SELECT * FROM unnest($1::text[], $2::text[])
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, updated_at = now() WHERE companies.name IS DISTINCT FROM EXCLUDED.name`,
    [companies.map((c) => c.id), companies.map((c) => c.name)],
  );
}

export interface CompanyStatus {
  id: string;
  name: string;
  authState: 'ok' | 'needs_reauth';
  authError: string | null;
  lastSuccessAt: Date | null;
  lastCycleAt: Date | null;
  nextDiscoveryAt: Date | null;
  lastDiscoveryError: string | null;
}

export async function companyStatuses(db: Queryable): Promise<CompanyStatus[]> {
  return db.query(
    `SELECT id, name, auth_state AS "authState", auth_error AS "authError", last_success_at AS "lastSuccessAt", last_cycle_at AS "lastCycleAt",
            CASE WHEN next_discovery_at = '-infinity' THEN NULL ELSE next_discovery_at END AS "nextDiscoveryAt",
            last_discovery_error AS "lastDiscoveryError"
     FROM companies ORDER BY id`,
  );
}
