import type { MigrationInterface, QueryRunner } from 'typeorm';

// The exceptions view names a batch by Concur's BatchID (what people search for in Concur and give to
// `erp-sync retry`), not by our internal row id; internal_id stays for joins.
const VIEW = (batchId: 'b.external_id' | 'b.id') => `
  CREATE VIEW reporting.exceptions AS
  SELECT 'quarantined' AS kind, b.company_id, ${batchId} AS batch_id, b.name AS batch_name, NULL::text AS sink,
         b.updated_at AS since, b.quarantine_reason AS detail${batchId === 'b.external_id' ? ', b.id AS internal_id' : ''}
  FROM batches b WHERE b.state = 'quarantined'
  UNION ALL
  SELECT 'reconciliation-mismatch', b.company_id, ${batchId}, b.name, NULL, b.updated_at, (b.reconciliation -> 'difference')::text${batchId === 'b.external_id' ? ', b.id' : ''}
  FROM batches b WHERE b.reconciliation ->> 'status' = 'mismatch'
  UNION ALL
  SELECT 'delivery-failed', b.company_id, ${batchId}, b.name, d.sink, d.updated_at, d.last_error${batchId === 'b.external_id' ? ', b.id' : ''}
  FROM deliveries d JOIN batches b ON b.id = d.batch_id WHERE d.state = 'failed'
  UNION ALL
  SELECT 'needs-reauthorisation', c.id, NULL, NULL, NULL, c.updated_at, c.auth_error${batchId === 'b.external_id' ? ', NULL' : ''}
  FROM companies c WHERE c.auth_state = 'needs_reauth'`;

export class ExceptionsConcurId1764600001000 implements MigrationInterface {
  name = 'ExceptionsConcurId1764600001000';

  async up(q: QueryRunner): Promise<void> {
    // The column changes type (bigint → text): the view is dropped and created again (the schema's default
    // privileges give the reporting role SELECT on it).
    await q.query(`DROP VIEW reporting.exceptions`);
    await q.query(VIEW('b.external_id'));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP VIEW reporting.exceptions`);
    await q.query(VIEW('b.id'));
  }
}
