import type { MigrationInterface, QueryRunner } from 'typeorm';

// What the operator console reads, indexed so its pages stay fast at 100,000 batches: the batch list's filters
// (state, company, newest first), the search by report or employee (one GIN index over the three keys, cheaper on
// COPY than three b-trees), the charts' day ranges, the audit trail by time, and the short lists of what needs a person
// (failed deliveries: the alerts migration's deliveries_failed serves both).
export class ConsoleIndexes1764700002000 implements MigrationInterface {
  name = 'ConsoleIndexes1764700002000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE INDEX batches_state_id ON batches (state, id);
      CREATE INDEX batches_company_id ON batches (company_id, id);
      CREATE INDEX batches_external_id ON batches (external_id text_pattern_ops);
      CREATE INDEX batches_loaded_at ON batches (loaded_at) WHERE loaded_at IS NOT NULL;
      CREATE INDEX batches_delivered_at ON batches (delivered_at) WHERE delivered_at IS NOT NULL;
      CREATE INDEX batches_mismatch ON batches (id) WHERE reconciliation ->> 'status' = 'mismatch';
      CREATE INDEX batch_events_at ON batch_events (at);
      CREATE INDEX transactions_search ON transactions USING gin ((ARRAY[report_id, employee_id, lower(employee_name)]));
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX transactions_search; DROP INDEX batch_events_at; DROP INDEX batches_mismatch;
      DROP INDEX batches_delivered_at; DROP INDEX batches_loaded_at; DROP INDEX batches_company_id; DROP INDEX batches_external_id; DROP INDEX batches_state_id;
    `);
  }
}
