// The one lease primitive behind every claim: a batch's step, a company's discovery, a Saferpay close. A claim is
// held while its holder's PostgreSQL session lives AND its lease has not run out. The session is a connection of
// the holder's own holding a session-level advisory lock: when the process dies its connection drops, the lock goes
// and its claims are free at once; the time lease only frees the claims of a holder that is alive but cut off.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../log.js';
import { update, type Queryable } from '../db/sql.js';
import { prepared } from '../db/prepared.js';

export type ClaimKind = 'batch' | 'discovery' | 'saferpay';

/** Who claims: a readable worker id (shown to operators) and the advisory-lock key of its session. */
export interface Holder {
  id: string;
  session: string;
}

/** SQL: the claim row `c` is held at `now` (a placeholder): its session is alive and its lease runs. */
export const held = (c: string, now: string) => `(${c}.expires_at > ${now} AND ${c}.session IN (SELECT session FROM claim_sessions_alive))`;

/** SQL: nobody holds a claim of `kind` on `key` (an SQL text expression) at `now`. */
export const notHeld = (kind: ClaimKind, key: string, now: string) =>
  `NOT EXISTS (SELECT 1 FROM claims nh WHERE nh.kind = '${kind}' AND nh.key = ${key} AND ${held('nh', now)})`;

/**
 * SQL fence for a change made under a claim: `holder` (a placeholder) still has it. The claim row is locked, so a
 * takeover waits until the caller's statement (or transaction) is over and never slips in between.
 */
export const fencedBy = (kind: ClaimKind, key: string, holder: string) =>
  `EXISTS (SELECT 1 FROM claims f WHERE f.kind = '${kind}' AND f.key = ${key} AND f.holder = ${holder} FOR SHARE)`;

const until = (now: string, ms: string) => `${now}::timestamptz + make_interval(secs => ${ms}::float8 / 1000)`;

/**
 * Takes the claims on `keys` that nobody holds (not even this holder: two jobs of one process never share one);
 * returns the keys taken. Callers pick
 * candidates first and re-read them after, so a candidate that changed in between is released, not worked on.
 */
export async function acquire(db: Queryable, kind: ClaimKind, keys: string[], holder: Holder, now: Date, leaseMs: number): Promise<string[]> {
  if (keys.length === 0) return [];
  // Sorted, so replicas racing for overlapping sets take the rows in one order (no deadlock).
  const rows: Array<{ key: string }> = await db.query(
    prepared(`INSERT INTO claims (kind, key, holder, session, expires_at)
     SELECT $1, k, $3, $4::bigint, ${until('$5', '$6')} FROM unnest($2::text[]) k ORDER BY k
     ON CONFLICT (kind, key) DO UPDATE SET holder = EXCLUDED.holder, session = EXCLUDED.session, expires_at = EXCLUDED.expires_at, claimed_at = now()
     WHERE NOT ${held('claims', '$5')}
     RETURNING key`),
    [kind, [...keys].sort(), holder.id, holder.session, now, leaseMs],
  );
  return rows.map((r) => r.key);
}

/** Extends the lease; false when the claim is no longer this holder's. */
export async function renew(db: Queryable, kind: ClaimKind, key: string, holder: Holder, now: Date, leaseMs: number): Promise<boolean> {
  const { count } = await update(db, prepared(`UPDATE claims SET expires_at = ${until('$4', '$5')} WHERE kind = $1 AND key = $2 AND holder = $3`), [kind, key, holder.id, now, leaseMs]);
  return count === 1;
}

export async function release(db: Queryable, kind: ClaimKind, keys: string[], holder: Holder): Promise<void> {
  if (keys.length) await db.query(prepared(`DELETE FROM claims WHERE kind = $1 AND key = ANY($2::text[]) AND holder = $3`), [kind, keys, holder.id]);
}

/** Who holds live claims of `kind` on `keys` (for reports: "held by which worker"). */
export async function holdersOf(db: Queryable, kind: ClaimKind, keys: string[], now: Date): Promise<Map<string, { holder: string; expiresAt: Date }>> {
  const rows: Array<{ key: string; holder: string; expiresAt: Date }> = await db.query(
    `SELECT key, holder, expires_at AS "expiresAt" FROM claims c WHERE kind = $1 AND key = ANY($2::text[]) AND ${held('c', '$3')}`,
    [kind, keys, now],
  );
  return new Map(rows.map((r) => [r.key, { holder: r.holder, expiresAt: r.expiresAt }]));
}

export interface HolderSession extends Holder {
  /** Releases this holder's claims and ends its session. */
  close(): Promise<void>;
}

const RECONNECT_MS = 1_000;

/**
 * Opens the session that keeps a holder's claims alive: its own connection (not a pooled one, which the pool may
 * close at any time) holding an advisory lock on a random key. If the connection drops while the process lives,
 * it is opened again with the same key; claims taken over meanwhile are refused to this holder by the fences.
 */
export async function openHolder(url: string, id: string, logger: Logger): Promise<HolderSession> {
  let closed = false;
  let client: pg.Client | null = null;
  const connect = async (session: string): Promise<boolean> => {
    const c = new pg.Client({ connectionString: url, application_name: `erp-sync claims ${id}`.slice(0, 63), keepAlive: true });
    c.on('error', (e) => logger.warn('claim session error', { holder: id, error: e.message }));
    await c.connect();
    const [row] = (await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [session])).rows;
    if (!row?.ok) {
      await c.end();
      return false;
    }
    c.once('end', () => {
      if (closed) return;
      client = null;
      logger.warn('claim session lost; reconnecting (its claims are free to others until then)', { holder: id });
      reconnect(session);
    });
    client = c;
    return true;
  };
  const reconnect = (session: string): void => {
    setTimeout(() => {
      if (closed) return;
      connect(session).then(
        (ok) => (ok ? logger.info('claim session restored', { holder: id }) : reconnect(session)),
        () => reconnect(session),
      );
    }, RECONNECT_MS).unref();
  };
  // A positive 62-bit key: a clash with another live holder is refused by the lock itself (then another key).
  let session = '';
  do session = (BigInt(`0x${randomBytes(8).toString('hex')}`) >> 2n).toString();
  while (!(await connect(session)));
  return {
    id,
    session,
    close: async () => {
      closed = true;
      const c = client;
      client = null;
      if (!c) return;
      await c.query('DELETE FROM claims WHERE holder = $1', [id]).catch(() => undefined);
      await c.end().catch(() => undefined);
    },
  };
}
