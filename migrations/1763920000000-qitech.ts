import type { MigrationInterface, QueryRunner } from 'typeorm';
import { REPORTING_ROLE } from './1763856000000-reporting-views.js';

// QI Tech settlement payouts: the payment batch per delivered batch, its settlements, the webhook events
// received (each once), and the report view of where every payout stands.
export class QiTech1763920000000 implements MigrationInterface {
  name = 'QiTech1763920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE qitech_payment_batches (
        batch_id           bigint NOT NULL REFERENCES batches (id),
        sink               text NOT NULL,
        company_id         text NOT NULL,
        fund_class_key     text NOT NULL,
        external_id        text NOT NULL UNIQUE,
        payment_batch_key  text,
        -- QI Tech's status: pending_settlements_insertion, pending_payment, paid, discarded (others kept as sent).
        status             text NOT NULL,
        closed_at          timestamptz,
        paid_at            timestamptz,
        discarded_at       timestamptz,
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (batch_id, sink)
      );

      CREATE TABLE qitech_settlements (
        payment_batch_external_id text NOT NULL REFERENCES qitech_payment_batches (external_id),
        external_id        text NOT NULL,
        report_id          text NOT NULL,
        total_value        numeric NOT NULL,
        status             text NOT NULL,
        settled_at         timestamptz,
        created_at         timestamptz NOT NULL DEFAULT now(),
        updated_at         timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (payment_batch_external_id, external_id)
      );

      CREATE TABLE qitech_webhook_events (
        id                         bigserial PRIMARY KEY,
        -- sha256 of the event's canonical JSON: a redelivered event is stored once.
        content_sha256             text NOT NULL UNIQUE,
        webhook_type               text NOT NULL,
        payment_batch_external_id  text NOT NULL,
        settlement_external_id     text,
        status                     text,
        webhook_datetime           text,
        payload                    jsonb NOT NULL,
        received_at                timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX qitech_webhook_events_batch ON qitech_webhook_events (payment_batch_external_id, id);
    `);
    await q.query(`
      CREATE VIEW reporting.qitech_payouts AS
      SELECT p.company_id, p.batch_id, b.external_id AS concur_batch_id, b.name AS batch_name, p.sink, p.fund_class_key,
             p.external_id AS payment_batch_external_id, p.payment_batch_key, p.status,
             COALESCE(s.settlements, 0) AS settlements,
             COALESCE(s.settled, 0) AS settled,
             COALESCE(s.total_value, 0) AS total_value,
             p.closed_at, p.paid_at, p.discarded_at, w.last_webhook_at
      FROM qitech_payment_batches p
      JOIN batches b ON b.id = p.batch_id
      LEFT JOIN LATERAL (
        SELECT count(*) AS settlements, count(*) FILTER (WHERE status = 'settled') AS settled, sum(total_value) AS total_value
        FROM qitech_settlements WHERE payment_batch_external_id = p.external_id
      ) s ON true
      LEFT JOIN LATERAL (
        SELECT max(received_at) AS last_webhook_at FROM qitech_webhook_events WHERE payment_batch_external_id = p.external_id
      ) w ON true`);
    await q.query(`GRANT SELECT ON reporting.qitech_payouts TO ${REPORTING_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP VIEW reporting.qitech_payouts;
      DROP TABLE qitech_webhook_events; DROP TABLE qitech_settlements; DROP TABLE qitech_payment_batches;
    `);
  }
}
