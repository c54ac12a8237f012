// Item 7 of issue 16: every CSV erp-sync writes for people neutralises formula cells (OWASP), amounts unchanged.
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { neutraliseCell } from '../../src/csv-injection.js';
import { loadTransactions } from '../../src/store/load.js';
import { useMigratedDatabase } from '../support/db.js';
import { seedBatch, seedCompany, streamOf, txn } from '../store/fixtures.js';
import { runCli } from './cli-run.js';

const db = useMigratedDatabase();

describe('neutraliseCell', () => {
  it('prefixes a quote to cells starting with = + - @ tab or CR, and leaves numbers and other text alone', () => {
    for (const hostile of ["=cmd|' /C calc'!A0", '+1+2', '-2+3+cmd|x', '@SUM(A1:A9)', '\t=1', '\r=1', '-', '+']) expect(neutraliseCell(hostile)).toBe(`'${hostile}`);
    for (const safe of ['-50.00', '+3', '-0.5', '1e5', '-1.5E-3', 'Ada', '', ' =x', "'=x"]) expect(neutraliseCell(safe)).toBe(safe);
  });
});

describe('erp-sync report --csv', () => {
  it('prints a hostile employee name from a batch file as text, with the amounts exactly as stored', async () => {
    const ds = db.ds();
    await seedCompany(ds, 'acme');
    const batch = await seedBatch(ds, 'acme', 'R-hostile', 'done');
    const rows = [
      txn(1, { employeeId: 'E1', employeeName: "=cmd|' /C calc'!A0", amount: '-50.00', currency: 'USD', debitCredit: 'CR' }),
      txn(2, { employeeId: 'E2', employeeName: '@SUM(1+1)*cmd|x', amount: '12.30', currency: 'USD' }),
    ];
    await loadTransactions(ds, { companyId: 'acme', batchRowId: batch, rows: streamOf(rows) }, async () => undefined);

    const r = await runCli(['report', 'spend-by-employee', '--csv'], { DATABASE_URL: db.url() });
    expect(r.code, r.output).toBe(0);
    const parsed = parse(r.stdout, { columns: true }) as Array<Record<string, string>>;
    expect(parsed.map((p) => [p.employee_name, p.net_amount])).toEqual([
      ["'=cmd|' /C calc'!A0", '-50.00'],
      ["'@SUM(1+1)*cmd|x", '12.30'],
    ]);
  });
});
