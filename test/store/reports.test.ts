import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import pg from 'pg';
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRoleIfMissingSql, REPORTING_ROLE } from '../../migrations/1763856000000-reporting-views.js';
import { runReport } from '../../src/commands/report.js';
import { loadTransactions } from '../../src/store/load.js';
import { readReport, REPORTS } from '../../src/store/reports.js';
import { createDatabase, useMigratedDatabase } from '../support/db.js';
import { seedBatch, seedCompany, streamOf, txn } from './fixtures.js';

async function seed(ds: DataSource): Promise<{ done: string; quarantined: string }> {
  const done = await seedBatch(ds, 'acme', 'R-done', 'done');
  const quarantined = await seedBatch(ds, 'acme', 'R-quarantined', 'quarantined');
  await seedCompany(ds, 'globex', { authState: 'needs_reauth' });
  await ds.query(`UPDATE companies SET auth_error = 'invalid_grant' WHERE id = 'globex'`);
  await ds.query(
    `UPDATE batches SET closed_at = '2025-11-01T06:00:00Z', loaded_at = '2025-11-01T06:05:00Z',
       reconciliation = '{"status":"reconciled","difference":{"USD":"0"}}' WHERE id = $1`,
    [done],
  );
  await ds.query(
    `UPDATE batches SET quarantine_reason = 'totals differ', reconciliation = '{"status":"mismatch","difference":{"USD":"-0.01"}}' WHERE id = $1`,
    [quarantined],
  );
  await ds.query(`INSERT INTO deliveries (batch_row_id, sink, state, delivered_at) VALUES ($1, 'sftp', 'delivered', now())`, [done]);
  await ds.query(`INSERT INTO deliveries (batch_row_id, sink, state, last_error) VALUES ($1, 'erp-db', 'failed', 'connection refused')`, [done]);
  const rows = [
    txn(1, { employeeId: 'E1', employeeName: 'Ada', expenseType: 'Hotel', accountCode: '6000', amount: '100.10', currency: 'USD', transactionDate: '2025-10-03' }),
    txn(2, { employeeId: 'E1', employeeName: 'Ada', expenseType: 'Meals', accountCode: '6100', amount: '0.20', currency: 'USD', transactionDate: '2025-10-31' }),
    txn(3, { employeeId: 'E2', employeeName: 'Bob', expenseType: 'Hotel', accountCode: '6000', amount: '50', currency: 'EUR', transactionDate: '2025-11-01' }),
    txn(4, { employeeId: 'E1', employeeName: 'Ada', expenseType: 'Hotel', accountCode: '2000', amount: '-100.10', currency: 'USD', debitCredit: 'CR', transactionDate: '2025-10-03' }),
  ];
  await loadTransactions(ds, { companyId: 'acme', batchRowId: done, rows: streamOf(rows) }, async () => undefined);
  return { done, quarantined };
}

describe('reporting views', () => {
  const db = useMigratedDatabase();
  let ids: { done: string; quarantined: string };
  beforeAll(async () => {
    ids = await seed(db.ds());
  });

  const report = async (name: string) => (await readReport(db.ds(), REPORTS.find((r) => r.name === name)!)).rows;

  it('summarises each batch: rows, exact totals per currency, reconciliation and deliveries', async () => {
    const rows = await report('batches');
    expect(rows).toHaveLength(2);
    expect(rows.find((r) => r.batch_id === Number(ids.done))).toMatchObject({
      company_id: 'acme',
      company_name: 'Company acme',
      batch_name: 'Batch R-done',
      state: 'done',
      closed_at: '2025-11-01 06:00:00+00',
      rows: 4,
      totals: { USD: '0.20', EUR: '50' },
      reconciliation_status: 'reconciled',
      reconciliation_difference: { USD: '0' },
      deliveries: { sftp: 'delivered', 'erp-db': 'failed' },
    });
    expect(rows.find((r) => r.batch_id === Number(ids.quarantined))).toMatchObject({ rows: 0, totals: {}, deliveries: {}, reconciliation_status: 'mismatch' });
  });

  it('sums spend by employee, expense type, account code and month with debits and credits apart', async () => {
    expect(await report('spend-by-employee')).toEqual([
      { company_id: 'acme', employee_id: 'E1', employee_name: 'Ada', currency: 'USD', rows: 3, batches: 1, debit_total: '100.30', credit_total: '-100.10', net_amount: '0.20' },
      { company_id: 'acme', employee_id: 'E2', employee_name: 'Bob', currency: 'EUR', rows: 1, batches: 1, debit_total: '50', credit_total: '0', net_amount: '50' },
    ]);
    expect((await report('spend-by-expense-type')).map((r) => [r.expense_type, r.currency, r.net_amount])).toEqual([
      ['Hotel', 'EUR', '50'],
      ['Hotel', 'USD', '0.00'],
      ['Meals', 'USD', '0.20'],
    ]);
    expect((await report('spend-by-account')).map((r) => [r.account_code, r.net_amount])).toEqual([
      ['2000', '-100.10'],
      ['6000', '50'],
      ['6000', '100.10'],
      ['6100', '0.20'],
    ]);
    expect((await report('spend-by-month')).map((r) => [r.month, r.currency, r.rows, r.net_amount])).toEqual([
      ['2025-10-01', 'USD', 3, '0.20'],
      ['2025-11-01', 'EUR', 1, '50'],
    ]);
  });

  it('lists what needs a person', async () => {
    const rows = await report('exceptions');
    // batch_id is Concur's BatchID; internal_id our row id.
    expect(rows.find((r) => r.kind === 'quarantined')).toMatchObject({ batch_id: 'R-quarantined', internal_id: Number(ids.quarantined) });
    expect(rows.map((r) => [r.kind, r.company_id, r.batch_id, r.sink, r.detail]).sort()).toEqual(
      [
        ['delivery-failed', 'acme', 'R-done', 'erp-db', 'connection refused'],
        ['needs-reauthorisation', 'globex', null, null, 'invalid_grant'],
        ['quarantined', 'acme', 'R-quarantined', null, 'totals differ'],
        ['reconciliation-mismatch', 'acme', 'R-quarantined', null, '{"USD": "-0.01"}'],
      ].sort(),
    );
  });

  it('lets the read-only role read every view and no table', async () => {
    const qr = db.ds().createQueryRunner();
    const client = (await qr.connect()) as PoolClient;
    const asReporter = async (sql: string) => {
      await client.query('BEGIN');
      try {
        await client.query(`SET LOCAL ROLE ${REPORTING_ROLE}`);
        return (await client.query(sql)).rows;
      } finally {
        await client.query('ROLLBACK');
      }
    };
    try {
      // Every view of the schema, including those later migrations add (default privileges).
      const { rows: views } = await client.query<{ name: string }>(`SELECT format('%I.%I', table_schema, table_name) AS name FROM information_schema.views WHERE table_schema = 'reporting'`);
      expect(views.map((v) => v.name)).toEqual(expect.arrayContaining(REPORTS.map((r) => r.view)));
      for (const v of views) expect(Array.isArray(await asReporter(`SELECT * FROM ${v.name}`))).toBe(true);
      for (const table of ['transactions', 'batches', 'companies', 'oauth_tokens', 'deliveries', 'files', 'batch_events']) {
        await expect(asReporter(`SELECT * FROM public.${table}`)).rejects.toThrow(/permission denied/);
      }
      await expect(asReporter(`CREATE VIEW reporting.mine AS SELECT 1`)).rejects.toThrow(/permission denied/);
      const { rows: [role] } = await client.query(`SELECT rolcanlogin, rolpassword IS NULL AS no_password FROM pg_authid WHERE rolname = $1`, [REPORTING_ROLE]);
      expect(role).toEqual({ rolcanlogin: false, no_password: true });
    } finally {
      await qr.release();
    }
  });
});

describe('the reporting role migration', () => {
  it('creates a role once when migrations of several databases race', async () => {
    const role = `erp_sync_test_role_${randomBytes(4).toString('hex')}`;
    const dbs = await Promise.all([createDatabase(), createDatabase(), createDatabase()]);
    const clients = dbs.map((d) => new pg.Client({ connectionString: d.url }));
    try {
      await Promise.all(clients.map((c) => c.connect()));
      // Each in its own open transaction, as a migration runs, so the creations truly overlap.
      await Promise.all(clients.map((c) => c.query('BEGIN')));
      await Promise.all(clients.map((c) => c.query(createRoleIfMissingSql(role)).then(() => c.query('COMMIT'))));
      const { rows } = await clients[0]!.query(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1`, [role]);
      expect(rows).toEqual([{ n: 1 }]);
    } finally {
      await clients[0]!.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
      await Promise.all(clients.map((c) => c.end()));
      await Promise.all(dbs.map((d) => d.drop()));
    }
  });
});

describe('runReport', () => {
  const db = useMigratedDatabase();
  beforeAll(async () => {
    await seed(db.ds());
  });

  async function run(name: string | undefined, format: 'table' | 'json' | 'csv'): Promise<{ code: number; text: string }> {
    let text = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        text += chunk.toString();
        cb();
      },
    });
    const code = await runReport(db.ds(), { name, format, out });
    return { code, text };
  }

  it('lists the reports when no name is given', async () => {
    const { code, text } = await run(undefined, 'table');
    expect(code).toBe(0);
    for (const r of REPORTS) expect(text).toContain(r.name);
  });

  it('exits 2 with the list for an unknown report', async () => {
    const { code, text } = await run('nope', 'json');
    expect(code).toBe(2);
    expect(text).toMatch(/unknown report "nope"/);
    expect(text).toContain('spend-by-month');
  });

  it('prints JSON with exact amounts and nested objects', async () => {
    const { code, text } = await run('batches', 'json');
    expect(code).toBe(0);
    const rows = JSON.parse(text) as Array<Record<string, unknown>>;
    expect(rows[0]).toMatchObject({ totals: { USD: '0.20', EUR: '50' }, deliveries: { sftp: 'delivered' } });
  });

  it('prints CSV that parses back to the same rows', async () => {
    const { text } = await run('spend-by-employee', 'csv');
    expect(parse(text, { columns: true })).toEqual([
      { company_id: 'acme', employee_id: 'E1', employee_name: 'Ada', currency: 'USD', rows: '3', batches: '1', debit_total: '100.30', credit_total: '-100.10', net_amount: '0.20' },
      { company_id: 'acme', employee_id: 'E2', employee_name: 'Bob', currency: 'EUR', rows: '1', batches: '1', debit_total: '50', credit_total: '0', net_amount: '50' },
    ]);
  });

  it('prints an aligned table with numbers to the right', async () => {
    const { text } = await run('spend-by-employee', 'table');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^company_id\s+employee_id\s+employee_name\s+currency\s+rows\s+batches\s+debit_total\s+credit_total\s+net_amount$/);
    expect(lines[1]).toMatch(/^-+( +-+)+$/);
    expect(lines[2]).toMatch(/^acme\s+E1\s+Ada\s+USD\s+3\s+1\s+100\.30\s+-100\.10\s+0\.20$/);
    expect(lines[3]!.endsWith('   50')).toBe(true);
    expect(lines.at(-1)).toBe('(2 rows)');
  });
});
