import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SAFERPAY_CLOSES_VIEW_COLUMNS } from './1763930000000-saferpay.js';

// Saferpay's own words on a failed close (ErrorMessage, ErrorDetail) beside ErrorName/Behavior and the HTTP status,
// and the outcome `already-closed`: the Backoffice or the automatic closure closed the terminal's batch first.
export class SaferpayErrors1764600000000 implements MigrationInterface {
  name = 'SaferpayErrors1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE saferpay_closes ADD COLUMN error_message text, ADD COLUMN error_detail jsonb`);
    await q.query(`ALTER TABLE saferpay_closes DROP CONSTRAINT saferpay_closes_state_check`);
    await q.query(`ALTER TABLE saferpay_closes ADD CONSTRAINT saferpay_closes_state_check CHECK (state IN ('pending', 'closed', 'already-closed', 'failed', 'config-error'))`);
    await q.query(`CREATE OR REPLACE VIEW reporting.saferpay_closes AS SELECT ${SAFERPAY_CLOSES_VIEW_COLUMNS}, error_message, error_detail FROM saferpay_closes`);
  }

  async down(q: QueryRunner): Promise<void> {
    // A view cannot lose columns in place: dropped and made again as before.
    await q.query(`DROP VIEW reporting.saferpay_closes`);
    await q.query(`ALTER TABLE saferpay_closes DROP CONSTRAINT saferpay_closes_state_check`);
    await q.query(`UPDATE saferpay_closes SET state = 'failed' WHERE state = 'already-closed'`);
    await q.query(`ALTER TABLE saferpay_closes ADD CONSTRAINT saferpay_closes_state_check CHECK (state IN ('pending', 'closed', 'failed', 'config-error'))`);
    await q.query(`ALTER TABLE saferpay_closes DROP COLUMN error_message, DROP COLUMN error_detail`);
    await q.query(`CREATE VIEW reporting.saferpay_closes AS SELECT ${SAFERPAY_CLOSES_VIEW_COLUMNS} FROM saferpay_closes`);
  }
}
