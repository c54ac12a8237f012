// Migration BatchIdNames: rows written under the old column names are kept under the new ones, the reporting views
// answer by their old column names and the new ones, and `down` gives back the schema it found.
import { describe, expect, it } from 'vitest';
import { BatchIdNames1764700003000 } from '../../migrations/1764700003000-batch-id-names.js';
import { TransactionRefsPerStatement1764700005000 } from '../../migrations/1764700005000-transaction-refs-per-statement.js';
import { useMigratedDatabase } from '../support/db.js';

const REFERRERS = ['batch_events', 'files', 'transactions', 'deliveries', 'xero_batch_payments', 'qitech_payment_batches'];
const VIEWS = ['batch_summary', 'exceptions', 'xero_payments', 'qitech_payouts', 'sae_lines'];

describe('migration BatchIdNames', () => {
  const db = useMigratedDatabase();

  const q = (sql: string, params: unknown[] = []) => db.ds().query(sql, params) as Promise<Array<Record<string, unknown>>>;
  const columns = async (schema: string, table: string) =>
    (await q(`SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, [schema, table])).map(
      (r) => r.c as string,
    );
  const viewColumns = async () => Object.fromEntries(await Promise.all(VIEWS.map(async (v) => [v, await columns('reporting', v)] as const)));
  const migration = async (step: 'up' | 'down') => {
    const runner = db.ds().createQueryRunner();
    try {
      // The later migration that names batch_row_id is undone first and done again last.
      if (step === 'down') await new TransactionRefsPerStatement1764700005000().down(runner);
      await new BatchIdNames1764700003000()[step](runner);
      if (step === 'up') await new TransactionRefsPerStatement1764700005000().up(runner);
    } finally {
      await runner.release();
    }
  };

  it('keeps every row under the new names, the old view columns answering, and down restores the old names', async () => {
    await migration('down');
    const before = await viewColumns();
    await q(`INSERT INTO companies (id, name) VALUES ('acme', 'Acme')`);
    const [{ id }] = (await q(
      `INSERT INTO batches (company_id, external_id, name, state, quarantine_reason) VALUES ('acme', 'C-77', 'Week 7', 'quarantined', 'totals differ') RETURNING id::text AS id`,
    )) as [{ id: string }];
    await q(`INSERT INTO batch_events (batch_id, company_id, kind) VALUES ($1, 'acme', 'transition')`, [id]);
    await q(`INSERT INTO files (batch_id, name, kind, sha256, size_bytes) VALUES ($1, 'extract.txt', 'sae', $2, 10)`, [id, 'a'.repeat(64)]);
    await q(`INSERT INTO transactions (company_id, batch_id, source_file, row_key, line_number, amount, source_line) VALUES ('acme', $1, 'extract.txt', 'jk:1', 2, 12.50, 'DETAIL|77')`, [id]);
    await q(`INSERT INTO deliveries (batch_id, sink, state, last_error) VALUES ($1, 'sftp', 'failed', 'connection refused')`, [id]);
    await q(`INSERT INTO xero_batch_payments (batch_id, sink, company_id, tenant_id) VALUES ($1, 'xero', 'acme', 't-1')`, [id]);
    await q(`INSERT INTO qitech_payment_batches (batch_id, sink, company_id, fund_class_key, external_id, status) VALUES ($1, 'qitech', 'acme', 'fc', 'qi-1', 'paid')`, [id]);
    await q(`INSERT INTO alerts (cause, kind, company_id, batch, summary, reason, link, opened_at) VALUES ('c', 'batch_quarantined', 'acme', 'C-77', 's', 'r', 'l', now())`);

    await migration('up');
    const row = Number(id);
    expect(await q(`SELECT concur_batch_id FROM batches`)).toEqual([{ concur_batch_id: 'C-77' }]);
    expect(await q(`SELECT concur_batch_id FROM alerts`)).toEqual([{ concur_batch_id: 'C-77' }]);
    for (const table of REFERRERS) {
      expect(await q(`SELECT batch_row_id::text AS r FROM ${table}`), table).toEqual([{ r: id }]);
      expect(await columns('public', table), table).not.toContain('batch_id');
    }
    expect(await columns('public', 'batches')).not.toContain('external_id');
    expect(await columns('public', 'qitech_payment_batches')).toContain('external_id'); // QI Tech's own id stays
    // The views: the old columns first, as before, answering as before; the unambiguous names appended.
    const after = await viewColumns();
    expect(after).toEqual({
      batch_summary: [...before.batch_summary!, 'concur_batch_id', 'batch_row_id'],
      exceptions: [...before.exceptions!, 'concur_batch_id', 'batch_row_id'],
      xero_payments: [...before.xero_payments!, 'concur_batch_id', 'batch_row_id'],
      qitech_payouts: [...before.qitech_payouts!, 'batch_row_id'],
      sae_lines: [...before.sae_lines!, 'batch_row_id'],
    });
    expect(await q(`SELECT batch_id::int AS b, external_id, concur_batch_id, batch_row_id::int AS r FROM reporting.batch_summary`)).toEqual([
      { b: row, external_id: 'C-77', concur_batch_id: 'C-77', r: row },
    ]);
    expect(await q(`SELECT kind, batch_id, internal_id::int AS i, concur_batch_id, batch_row_id::int AS r FROM reporting.exceptions ORDER BY kind`)).toEqual([
      { kind: 'delivery-failed', batch_id: 'C-77', i: row, concur_batch_id: 'C-77', r: row },
      { kind: 'quarantined', batch_id: 'C-77', i: row, concur_batch_id: 'C-77', r: row },
    ]);
    expect(await q(`SELECT batch_id::int AS b, external_id, concur_batch_id, batch_row_id::int AS r FROM reporting.xero_payments`)).toEqual([
      { b: row, external_id: 'C-77', concur_batch_id: 'C-77', r: row },
    ]);
    expect(await q(`SELECT batch_id::int AS b, concur_batch_id, payment_batch_external_id, batch_row_id::int AS r FROM reporting.qitech_payouts`)).toEqual([
      { b: row, concur_batch_id: 'C-77', payment_batch_external_id: 'qi-1', r: row },
    ]);
    expect(await q(`SELECT batch_id::int AS b, batch_row_id::int AS r, "Constant" FROM reporting.sae_lines`)).toEqual([{ b: row, r: row, Constant: 'DETAIL' }]);

    await migration('down');
    expect(await viewColumns()).toEqual(before);
    expect(await q(`SELECT external_id FROM batches`)).toEqual([{ external_id: 'C-77' }]);
    expect(await q(`SELECT batch FROM alerts`)).toEqual([{ batch: 'C-77' }]);
    for (const table of REFERRERS) expect(await q(`SELECT batch_id::text AS r FROM ${table}`), table).toEqual([{ r: id }]);
    expect(await q(`SELECT batch_id::int AS b, external_id FROM reporting.batch_summary`)).toEqual([{ b: row, external_id: 'C-77' }]);
    await migration('up');
  });
});
