import type { MigrationInterface, QueryRunner } from 'typeorm';

// Per-company discovery schedule decided from the database, and a lease so one replica lists a company at a time.
export class CompanySchedule1763780000000 implements MigrationInterface {
  name = 'CompanySchedule1763780000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE companies
        ADD COLUMN next_discovery_at      timestamptz NOT NULL DEFAULT '-infinity',
        ADD COLUMN discovery_claimed_by   text,
        ADD COLUMN discovery_claim_expires_at timestamptz,
        ADD COLUMN last_discovery_error   text;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE companies DROP COLUMN next_discovery_at, DROP COLUMN discovery_claimed_by,
        DROP COLUMN discovery_claim_expires_at, DROP COLUMN last_discovery_error;
    `);
  }
}
