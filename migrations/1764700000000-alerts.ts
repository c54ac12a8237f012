import type { MigrationInterface, QueryRunner } from 'typeorm';

// Alerts: the causes announced and not yet resolved (one row per cause: announced once until it goes away), and the
// outbox of announcements per target, delivered with retries and never in the pipeline's way. Deliveries learn how
// long and how often in a row they have been failing; partial indexes keep the evaluation off full scans.
export class Alerts1764700000000 implements MigrationInterface {
  name = 'Alerts1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alerts (
        id          bigserial PRIMARY KEY,
        cause       text NOT NULL UNIQUE,
        kind        text NOT NULL,
        company_id  text,
        batch       text,
        summary     text NOT NULL,
        reason      text NOT NULL,
        link        text NOT NULL,
        opened_at   timestamptz NOT NULL
      );

      CREATE TABLE alert_outbox (
        id              bigserial PRIMARY KEY,
        target          text NOT NULL,
        message         jsonb NOT NULL,
        bytes           integer NOT NULL CHECK (bytes >= 0),
        created_at      timestamptz NOT NULL,
        attempts        integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        last_error      text
      );
      CREATE INDEX alert_outbox_target ON alert_outbox (target, id);

      ALTER TABLE deliveries ADD COLUMN failures integer NOT NULL DEFAULT 0, ADD COLUMN failing_since timestamptz;
      UPDATE deliveries SET failures = attempts, failing_since = updated_at WHERE state = 'failed';
      CREATE INDEX deliveries_failed ON deliveries (batch_id) WHERE state = 'failed';
      CREATE INDEX batches_need_person ON batches (id) WHERE state = 'quarantined' OR (reconciliation->>'status') = 'mismatch';
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX batches_need_person; DROP INDEX deliveries_failed;
      ALTER TABLE deliveries DROP COLUMN failures, DROP COLUMN failing_since;
      DROP TABLE alert_outbox; DROP TABLE alerts;
    `);
  }
}
