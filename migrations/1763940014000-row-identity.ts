import type { MigrationInterface, QueryRunner } from 'typeorm';

// Row identity is a line's place in the batch (its file's logical name + journal key or line), no longer its
// business keys: allocation splits share report and entry ids, and de-duplicating on them dropped money.
// Existing rows keep their old key as their identity (it was unique per batch).
export class RowIdentity1763940014000 implements MigrationInterface {
  name = 'RowIdentity1763940014000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE transactions ADD COLUMN source_file text, ADD COLUMN row_key text;
      UPDATE transactions t SET source_file = COALESCE((SELECT f.name FROM files f WHERE f.id = t.file_id), ''), row_key = t.natural_key;
      ALTER TABLE transactions
        ALTER COLUMN source_file SET NOT NULL,
        ALTER COLUMN row_key SET NOT NULL,
        DROP COLUMN natural_key,
        ADD CONSTRAINT transactions_row_identity UNIQUE (batch_id, source_file, row_key);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    // Rows the new rule keeps apart (allocation splits) would collide under the old key: the old key becomes the identity.
    await q.query(`
      ALTER TABLE transactions ADD COLUMN natural_key text;
      UPDATE transactions SET natural_key = source_file || ':' || row_key;
      ALTER TABLE transactions
        ALTER COLUMN natural_key SET NOT NULL,
        DROP CONSTRAINT transactions_row_identity,
        DROP COLUMN source_file,
        DROP COLUMN row_key,
        ADD CONSTRAINT transactions_company_id_batch_id_natural_key_key UNIQUE (company_id, batch_id, natural_key);
    `);
  }
}
