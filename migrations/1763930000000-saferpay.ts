import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The view's columns as this migration made them (later migrations add to them). */
export const SAFERPAY_CLOSES_VIEW_COLUMNS = `terminal_id, terminal_name, customer_id, business_day, seq, forced_by, request_id, state AS outcome, attempts,
  GREATEST(attempts - 1, 0) AS last_retry_indicator, error_name, behavior, http_status, last_error,
  created_at, first_attempt_at, last_attempt_at, finished_at,
  CASE WHEN state = 'pending' THEN next_attempt_at END AS next_attempt_at`;

// Saferpay terminal batch closes: one row per close (terminal, business day, seq), the RequestId committed
// before the first send. seq 0 is the day's close; a forced extra close takes the next seq and names who forced it.
export class Saferpay1763930000000 implements MigrationInterface {
  name = 'Saferpay1763930000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE saferpay_closes (
        id                bigserial PRIMARY KEY,
        terminal_id       text        NOT NULL,
        terminal_name     text        NOT NULL,
        customer_id       text        NOT NULL,
        business_day      date        NOT NULL,
        seq               integer     NOT NULL DEFAULT 0,
        request_id        text        NOT NULL UNIQUE,
        state             text        NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'closed', 'failed', 'config-error')),
        attempts          integer     NOT NULL DEFAULT 0 CHECK (attempts BETWEEN 0 AND 10),
        next_attempt_at   timestamptz NOT NULL,
        claimed_by        text,
        claim_expires_at  timestamptz,
        error_name        text,
        behavior          text,
        http_status       integer,
        last_error        text,
        forced_by         text,
        created_at        timestamptz NOT NULL DEFAULT now(),
        first_attempt_at  timestamptz,
        last_attempt_at   timestamptz,
        finished_at       timestamptz,
        updated_at        timestamptz NOT NULL DEFAULT now(),
        UNIQUE (terminal_id, business_day, seq),
        CHECK ((seq = 0) = (forced_by IS NULL))
      )`);
    // One close in flight per terminal: no second RequestId while the outcome of the first is open.
    await q.query(`CREATE UNIQUE INDEX saferpay_closes_one_pending ON saferpay_closes (terminal_id) WHERE state = 'pending'`);
    await q.query(`CREATE VIEW reporting.saferpay_closes AS SELECT ${SAFERPAY_CLOSES_VIEW_COLUMNS} FROM saferpay_closes`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW reporting.saferpay_closes`);
    await q.query(`DROP TABLE saferpay_closes`);
  }
}
