import type { MigrationInterface, QueryRunner } from 'typeorm';

// One lease primitive for every claim (batch step, company discovery, Saferpay close): a row per claim, tied to the
// holder's PostgreSQL session (a session-level advisory lock on the holder's own connection), so the claims of a
// process that died are free as soon as its connection drops; the time lease only covers a live, cut-off holder.
// Batches also count the starts of their current step, so a file that kills the process ends in quarantine.
export class Claims1764633600000 implements MigrationInterface {
  name = 'Claims1764633600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE claims (
        kind        text NOT NULL CHECK (kind IN ('batch', 'discovery', 'saferpay')),
        key         text NOT NULL,
        holder      text NOT NULL,
        session     bigint NOT NULL,
        expires_at  timestamptz NOT NULL,
        claimed_at  timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (kind, key)
      );
      -- The sessions that hold their advisory lock in this database: a claim whose session is not here is free.
      CREATE VIEW claim_sessions_alive AS
        SELECT (l.classid::bigint << 32) | l.objid::bigint AS session
        FROM pg_locks l
        WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
          AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database());
      ALTER TABLE batches DROP COLUMN claimed_by, DROP COLUMN claim_expires_at,
        ADD COLUMN step_started text, ADD COLUMN step_starts integer NOT NULL DEFAULT 0;
      ALTER TABLE companies DROP COLUMN discovery_claimed_by, DROP COLUMN discovery_claim_expires_at;
      ALTER TABLE saferpay_closes DROP COLUMN claimed_by, DROP COLUMN claim_expires_at;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE saferpay_closes ADD COLUMN claimed_by text, ADD COLUMN claim_expires_at timestamptz;
      ALTER TABLE companies ADD COLUMN discovery_claimed_by text, ADD COLUMN discovery_claim_expires_at timestamptz;
      ALTER TABLE batches DROP COLUMN step_started, DROP COLUMN step_starts, ADD COLUMN claimed_by text, ADD COLUMN claim_expires_at timestamptz;
      DROP VIEW claim_sessions_alive;
      DROP TABLE claims;
    `);
  }
}
