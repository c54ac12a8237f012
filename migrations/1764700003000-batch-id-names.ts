import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SAE_RAW_KEYS } from '../parsers/sae.js';

// "batch id" meant Concur's BatchID in one column and our bigserial row id in the next. The columns now say which:
// Concur's id is `concur_batch_id` (batches.external_id, alerts.batch), a reference to batches(id) is `batch_row_id`
// (every former batch_id), and so are the constraint and index names that spelled the old ones.
// The reporting views are users' SQL interface: their columns keep their names (PostgreSQL keeps a view's output
// names across a column rename) and each view with a batch id gains the unambiguous names at its end.
const REFERRERS = ['batch_events', 'files', 'transactions', 'deliveries', 'xero_batch_payments', 'qitech_payment_batches'];

// [statement with $from and $to, old name, new name]
const RENAMES: ReadonlyArray<[statement: string, old: string, now: string]> = [
  ['ALTER TABLE batches RENAME COLUMN $from TO $to', 'external_id', 'concur_batch_id'],
  ['ALTER TABLE alerts RENAME COLUMN $from TO $to', 'batch', 'concur_batch_id'],
  ...REFERRERS.map((t): [string, string, string] => [`ALTER TABLE ${t} RENAME COLUMN $from TO $to`, 'batch_id', 'batch_row_id']),
  ['ALTER TABLE batches RENAME CONSTRAINT $from TO $to', 'batches_company_id_source_external_id_key', 'batches_company_id_source_concur_batch_id_key'],
  ['ALTER TABLE files RENAME CONSTRAINT $from TO $to', 'files_batch_id_sha256_name_key', 'files_batch_row_id_sha256_name_key'],
  ['ALTER TABLE deliveries RENAME CONSTRAINT $from TO $to', 'deliveries_batch_id_sink_key', 'deliveries_batch_row_id_sink_key'],
  ...REFERRERS.map((t): [string, string, string] => [`ALTER TABLE ${t} RENAME CONSTRAINT $from TO $to`, `${t}_batch_id_fkey`, `${t}_batch_row_id_fkey`]),
  ['ALTER INDEX $from RENAME TO $to', 'batches_external_id', 'batches_concur_batch_id'],
];

const renames = (forward: boolean) =>
  RENAMES.map(([statement, old, now]) => statement.replace('$from', forward ? old : now).replace('$to', forward ? now : old)).join(';\n');

/** The views that show a batch id, over the columns as named before (`old`) or after this migration. */
function views(old: boolean): Array<[name: string, sql: string]> {
  const concur = old ? 'external_id' : 'concur_batch_id';
  const row = old ? 'batch_id' : 'batch_row_id';
  // The appended columns, per view: absent from the views as the earlier migrations made them.
  const extra = (cols: string) => (old ? '' : `, ${cols}`);
  const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
  return [
    [
      'batch_summary',
      `SELECT b.company_id, c.name AS company_name, b.id AS batch_id, b.source, b.${concur} AS external_id, b.name AS batch_name, b.state,
             b.closed_at, b.fetched_at, b.loaded_at, b.delivered_at, b.done_at,
             COALESCE(t.rows, 0) AS rows,
             COALESCE(t.totals, '{}'::jsonb) AS totals,
             b.reconciliation ->> 'status' AS reconciliation_status,
             b.reconciliation -> 'difference' AS reconciliation_difference,
             COALESCE(d.deliveries, '{}'::jsonb) AS deliveries,
             b.quarantine_reason, b.last_error${extra('b.concur_batch_id, b.id AS batch_row_id')}
      FROM batches b
      JOIN companies c ON c.id = b.company_id
      LEFT JOIN LATERAL (
        SELECT sum(n)::bigint AS rows, jsonb_object_agg(cur, total::text) AS totals
        FROM (SELECT COALESCE(currency, '') AS cur, count(*) AS n, sum(amount) AS total
              FROM transactions WHERE company_id = b.company_id AND ${row} = b.id GROUP BY 1) per_currency
      ) t ON true
      LEFT JOIN LATERAL (
        SELECT jsonb_object_agg(sink, state) AS deliveries FROM deliveries WHERE ${row} = b.id
      ) d ON true`,
    ],
    [
      'exceptions',
      `SELECT 'quarantined' AS kind, b.company_id, b.${concur} AS batch_id, b.name AS batch_name, NULL::text AS sink,
             b.updated_at AS since, b.quarantine_reason AS detail, b.id AS internal_id${extra('b.concur_batch_id, b.id AS batch_row_id')}
      FROM batches b WHERE b.state = 'quarantined'
      UNION ALL
      SELECT 'reconciliation-mismatch', b.company_id, b.${concur}, b.name, NULL, b.updated_at, (b.reconciliation -> 'difference')::text, b.id${extra('b.concur_batch_id, b.id')}
      FROM batches b WHERE b.reconciliation ->> 'status' = 'mismatch'
      UNION ALL
      SELECT 'delivery-failed', b.company_id, b.${concur}, b.name, d.sink, d.updated_at, d.last_error, b.id${extra('b.concur_batch_id, b.id')}
      FROM deliveries d JOIN batches b ON b.id = d.${row} WHERE d.state = 'failed'
      UNION ALL
      SELECT 'needs-reauthorisation', c.id, NULL, NULL, NULL, c.updated_at, c.auth_error, NULL${extra('NULL, NULL')}
      FROM companies c WHERE c.auth_state = 'needs_reauth'`,
    ],
    [
      'xero_payments',
      `SELECT p.company_id, p.${row} AS batch_id, b.${concur} AS external_id, b.name AS batch_name, p.sink, p.tenant_id, p.reference,
             p.batch_payment_id, p.total::text AS total, p.status, p.is_reconciled, p.posted_at, p.checked_at, p.deleted_at, p.last_error${extra('b.concur_batch_id, p.batch_row_id')}
      FROM xero_batch_payments p JOIN batches b ON b.id = p.${row}`,
    ],
    [
      'qitech_payouts',
      `SELECT p.company_id, p.${row} AS batch_id, b.${concur} AS concur_batch_id, b.name AS batch_name, p.sink, p.fund_class_key,
             p.external_id AS payment_batch_external_id, p.payment_batch_key, p.status,
             COALESCE(s.settlements, 0) AS settlements,
             COALESCE(s.settled, 0) AS settled,
             COALESCE(s.total_value, 0) AS total_value,
             p.closed_at, p.paid_at, p.discarded_at, w.last_webhook_at${extra('p.batch_row_id')}
      FROM qitech_payment_batches p
      JOIN batches b ON b.id = p.${row}
      LEFT JOIN LATERAL (
        SELECT count(*) AS settlements, count(*) FILTER (WHERE status = 'settled') AS settled, sum(total_value) AS total_value
        FROM qitech_settlements WHERE payment_batch_external_id = p.external_id
      ) s ON true
      LEFT JOIN LATERAL (
        SELECT max(received_at) AS last_webhook_at FROM qitech_webhook_events WHERE payment_batch_external_id = p.external_id
      ) w ON true`,
    ],
    [
      'sae_lines',
      `SELECT t.id AS transaction_id, t.company_id, t.${row} AS batch_id, t.source_file, t.line_number,
             ${SAE_RAW_KEYS.map((k, i) => `NULLIF(s.f[${i + 1}], '') AS ${ident(k)}`).join(',\n             ')}${extra('t.batch_row_id')}
      FROM transactions t CROSS JOIN LATERAL (SELECT string_to_array(t.source_line, '|') AS f) s
      WHERE t.source_line IS NOT NULL`,
    ],
  ];
}

export class BatchIdNames1764700003000 implements MigrationInterface {
  name = 'BatchIdNames1764700003000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(renames(true));
    // New columns may only be appended: the views are replaced in place (grants and users' dependent views stay).
    for (const [name, sql] of views(false)) await q.query(`CREATE OR REPLACE VIEW reporting.${name} AS ${sql}`);
  }

  async down(q: QueryRunner): Promise<void> {
    // A view cannot lose columns in place: dropped and made again as before (the schema's default privileges give
    // the reporting role SELECT on them).
    for (const [name] of views(true)) await q.query(`DROP VIEW reporting.${name}`);
    await q.query(renames(false));
    for (const [name, sql] of views(true)) await q.query(`CREATE VIEW reporting.${name} AS ${sql}`);
  }
}
