import type { MigrationInterface, QueryRunner } from 'typeorm';

// A company's sink that needs a person before it can work again (e.g. a Xero connection lacking a scope):
// shown by `status` and the erp_sync_sink_needs_attention metric, removed once the sink works again.
export class SinkAttention1763940000000 implements MigrationInterface {
  name = 'SinkAttention1763940000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE sink_attention (
        company_id  text        NOT NULL REFERENCES companies (id),
        sink        text        NOT NULL,
        reason      text        NOT NULL,
        since       timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (company_id, sink)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE sink_attention`);
  }
}
