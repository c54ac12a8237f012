import type { MigrationInterface, QueryRunner } from 'typeorm';

// The Xero sink: its OAuth tokens (one row per company and sink) and the batch payment each batch became.
export class Xero1763910000000 implements MigrationInterface {
  name = 'Xero1763910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE xero_tokens (
        company_id        text NOT NULL,
        sink              text NOT NULL,
        access_token      text,
        access_expires_at timestamptz,
        refresh_token     text,
        auth_state        text NOT NULL DEFAULT 'ok' CHECK (auth_state IN ('ok', 'needs_reauth')),
        auth_error        text,
        updated_at        timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (company_id, sink)
      );

      CREATE TABLE xero_batch_payments (
        batch_id          bigint NOT NULL REFERENCES batches (id),
        sink              text NOT NULL,
        company_id        text NOT NULL,
        tenant_id         text NOT NULL,
        -- Bumped by each reversal, so a later post uses fresh Idempotency-Keys.
        generation        integer NOT NULL DEFAULT 0,
        reference         text,
        batch_payment_id  text,
        total             numeric,
        bills             jsonb NOT NULL DEFAULT '[]',
        status            text,
        is_reconciled     boolean,
        last_error        text,
        posted_at         timestamptz,
        checked_at        timestamptz,
        deleted_at        timestamptz,
        updated_at        timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (batch_id, sink)
      );
      CREATE INDEX xero_batch_payments_check ON xero_batch_payments (checked_at NULLS FIRST)
        WHERE batch_payment_id IS NOT NULL AND is_reconciled IS NOT TRUE;
    `);
    // The reporting role reads it through the schema's default privileges.
    await q.query(`
      CREATE VIEW reporting.xero_payments AS
      SELECT p.company_id, p.batch_id, b.external_id, b.name AS batch_name, p.sink, p.tenant_id, p.reference,
             p.batch_payment_id, p.total::text AS total, p.status, p.is_reconciled, p.posted_at, p.checked_at, p.deleted_at, p.last_error
      FROM xero_batch_payments p JOIN batches b ON b.id = p.batch_id`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW reporting.xero_payments; DROP TABLE xero_batch_payments; DROP TABLE xero_tokens;`);
  }
}
