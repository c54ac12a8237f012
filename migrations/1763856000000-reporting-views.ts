import type { MigrationInterface, QueryRunner } from 'typeorm';

// The "DB reports" users' interface: views in the schema `reporting` and a read-only role that can
// read those views and nothing else.
export const REPORTING_ROLE = 'erp_sync_reporting';

/**
 * Creates a NOLOGIN role unless it exists. Roles are cluster-wide: migrations of several databases on
 * one server may race here, so the loser of the race accepts the winner's role.
 */
export function createRoleIfMissingSql(role: string): string {
  return `DO $$
    BEGIN
      IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${role}') THEN
        BEGIN
          CREATE ROLE ${role} NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
          NULL;
        END;
      END IF;
    END $$`;
}

/** Spend of loaded transactions grouped by `dims` (SQL expressions with aliases), per company and currency. */
function spendView(name: string, dims: string[], groupBy: string[]): string {
  return `CREATE VIEW reporting.${name} AS
    SELECT t.company_id, ${dims.join(', ')}, t.currency,
           count(*) AS rows,
           count(DISTINCT t.batch_id) AS batches,
           COALESCE(sum(t.amount) FILTER (WHERE t.debit_credit = 'DR'), 0) AS debit_total,
           COALESCE(sum(t.amount) FILTER (WHERE t.debit_credit = 'CR'), 0) AS credit_total,
           sum(t.amount) AS net_amount
    FROM transactions t
    GROUP BY t.company_id, ${groupBy.join(', ')}, t.currency`;
}

export class ReportingViews1763856000000 implements MigrationInterface {
  name = 'ReportingViews1763856000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SCHEMA reporting`);
    await q.query(`
      CREATE VIEW reporting.batch_summary AS
      SELECT b.company_id, c.name AS company_name, b.id AS batch_id, b.source, b.external_id, b.name AS batch_name, b.state,
             b.closed_at, b.fetched_at, b.loaded_at, b.delivered_at, b.done_at,
             COALESCE(t.rows, 0) AS rows,
             COALESCE(t.totals, '{}'::jsonb) AS totals,
             b.reconciliation ->> 'status' AS reconciliation_status,
             b.reconciliation -> 'difference' AS reconciliation_difference,
             COALESCE(d.deliveries, '{}'::jsonb) AS deliveries,
             b.quarantine_reason, b.last_error
      FROM batches b
      JOIN companies c ON c.id = b.company_id
      LEFT JOIN LATERAL (
        -- Totals as exact decimal text per currency ('' for rows without one).
        SELECT sum(n)::bigint AS rows, jsonb_object_agg(cur, total::text) AS totals
        FROM (SELECT COALESCE(currency, '') AS cur, count(*) AS n, sum(amount) AS total
              FROM transactions WHERE company_id = b.company_id AND batch_id = b.id GROUP BY 1) per_currency
      ) t ON true
      LEFT JOIN LATERAL (
        SELECT jsonb_object_agg(sink, state) AS deliveries FROM deliveries WHERE batch_id = b.id
      ) d ON true`);
    await q.query(spendView('spend_by_employee', ['t.employee_id', 'max(t.employee_name) AS employee_name'], ['t.employee_id']));
    await q.query(spendView('spend_by_expense_type', ['t.expense_type'], ['t.expense_type']));
    await q.query(spendView('spend_by_account_code', ['t.account_code'], ['t.account_code']));
    await q.query(spendView('spend_by_month', [`date_trunc('month', t.transaction_date)::date AS month`], [`date_trunc('month', t.transaction_date)`]));
    await q.query(`
      CREATE VIEW reporting.exceptions AS
      SELECT 'quarantined' AS kind, b.company_id, b.id AS batch_id, b.name AS batch_name, NULL::text AS sink,
             b.updated_at AS since, b.quarantine_reason AS detail
      FROM batches b WHERE b.state = 'quarantined'
      UNION ALL
      SELECT 'reconciliation-mismatch', b.company_id, b.id, b.name, NULL, b.updated_at, (b.reconciliation -> 'difference')::text
      FROM batches b WHERE b.reconciliation ->> 'status' = 'mismatch'
      UNION ALL
      SELECT 'delivery-failed', b.company_id, b.id, b.name, d.sink, d.updated_at, d.last_error
      FROM deliveries d JOIN batches b ON b.id = d.batch_id WHERE d.state = 'failed'
      UNION ALL
      SELECT 'needs-reauthorisation', c.id, NULL, NULL, NULL, c.updated_at, c.auth_error
      FROM companies c WHERE c.auth_state = 'needs_reauth'`);
    await q.query(createRoleIfMissingSql(REPORTING_ROLE));
    await q.query(`GRANT USAGE ON SCHEMA reporting TO ${REPORTING_ROLE}`);
    await q.query(`GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO ${REPORTING_ROLE}`);
    // Views that later migrations add to the schema are readable too.
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT SELECT ON TABLES TO ${REPORTING_ROLE}`);
  }

  async down(q: QueryRunner): Promise<void> {
    // The role stays: it is shared by every database on the server.
    await q.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA reporting REVOKE SELECT ON TABLES FROM ${REPORTING_ROLE}`);
    await q.query(`DROP SCHEMA reporting CASCADE`);
  }
}
