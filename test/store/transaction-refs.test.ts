// Migration TransactionRefsPerStatement: transactions' references to batches and files are checked once per
// statement instead of once per row, and hold as the foreign keys did: a load refuses an unknown batch or file, and a
// referenced batch or file cannot be deleted, renumbered or truncated away.
import { describe, expect, it } from 'vitest';
import { loadTransactions } from '../../src/store/load.js';
import { TransactionRefsPerStatement1764700005000 } from '../../migrations/1764700005000-transaction-refs-per-statement.js';
import { useMigratedDatabase } from '../support/db.js';
import { countRows, range, seedBatch, streamOf, txn } from './fixtures.js';

const noop = async () => undefined;
const fkViolation = (constraint: string) => ({ code: '23503', constraint });

describe('transactions references, checked once per statement', () => {
  const db = useMigratedDatabase();
  const q = (sql: string, params: unknown[] = []) => db.ds().query(sql, params) as Promise<Array<Record<string, unknown>>>;
  const seedFile = async (batchRowId: string, name = 'extract.txt') =>
    String((await q(`INSERT INTO files (batch_row_id, name, kind, sha256, size_bytes) VALUES ($1, $2, 'sae', $3, 1) RETURNING id`, [batchRowId, name, 'a'.repeat(64)]))[0]!.id);
  const load = (batchRowId: string, fileId: string | null, rows = range(3).map((i) => txn(i))) =>
    loadTransactions(db.ds(), { companyId: 'acme', batchRowId, fileIdOf: () => fileId, rows: streamOf(rows) }, noop);

  it('a load refuses a batch or a file that does not exist, and stores nothing', async () => {
    const batchRowId = await seedBatch(db.ds(), 'acme', 'B-unknown');
    const fileId = await seedFile(batchRowId);
    await expect(load('999999', null)).rejects.toMatchObject(fkViolation('transactions_batch_row_id_fkey'));
    await expect(load(batchRowId, '999999')).rejects.toMatchObject(fkViolation('transactions_file_id_fkey'));
    expect(await countRows(db.ds(), batchRowId)).toBe(0);
    await load(batchRowId, fileId);
    expect(await countRows(db.ds(), batchRowId)).toBe(3);
    // An update is checked as an insert is.
    await expect(q(`UPDATE transactions SET batch_row_id = 999999 WHERE batch_row_id = $1`, [batchRowId])).rejects.toMatchObject(fkViolation('transactions_batch_row_id_fkey'));
    await expect(q(`UPDATE transactions SET file_id = 999999 WHERE batch_row_id = $1`, [batchRowId])).rejects.toMatchObject(fkViolation('transactions_file_id_fkey'));
  });

  it('a referenced batch or file cannot be deleted, renumbered or truncated; once unreferenced it can be deleted', async () => {
    // A batch with no events or files of its own, so that only transactions refer to it.
    const batchRowId = await seedBatch(db.ds(), 'acme', 'B-kept');
    const fileBatch = await seedBatch(db.ds(), 'acme', 'B-file');
    const fileId = await seedFile(fileBatch);
    await load(batchRowId, fileId);
    await expect(q(`DELETE FROM batches WHERE id = $1`, [batchRowId])).rejects.toMatchObject(fkViolation('transactions_batch_row_id_fkey'));
    await expect(q(`UPDATE batches SET id = id + 1000000 WHERE id = $1`, [batchRowId])).rejects.toMatchObject(fkViolation('transactions_batch_row_id_fkey'));
    await expect(q(`DELETE FROM files WHERE id = $1`, [fileId])).rejects.toMatchObject(fkViolation('transactions_file_id_fkey'));
    await expect(q(`UPDATE files SET id = id + 1000000 WHERE id = $1`, [fileId])).rejects.toMatchObject(fkViolation('transactions_file_id_fkey'));
    await expect(q(`TRUNCATE batches CASCADE`)).rejects.toThrow(/cannot truncate batches/);
    await expect(q(`TRUNCATE files CASCADE`)).rejects.toThrow(/cannot truncate files/);
    // Above READ COMMITTED the check could miss rows committed after the snapshot: refused there.
    const runner = db.ds().createQueryRunner();
    try {
      await runner.startTransaction('REPEATABLE READ');
      await expect(runner.query(`DELETE FROM batches WHERE id = $1`, [batchRowId])).rejects.toThrow(/READ COMMITTED only/);
      await runner.rollbackTransaction();
    } finally {
      await runner.release();
    }
    // Other updates of either row are not checked.
    await q(`UPDATE batches SET name = 'renamed' WHERE id = $1`, [batchRowId]);
    await q(`UPDATE files SET storage_path = NULL WHERE id = $1`, [fileId]);
    await q(`DELETE FROM transactions WHERE batch_row_id = $1`, [batchRowId]);
    await q(`DELETE FROM files WHERE id = $1`, [fileId]);
    await q(`DELETE FROM batches WHERE id = $1`, [batchRowId]);
    expect(await q(`SELECT id FROM batches WHERE id = $1`, [batchRowId])).toEqual([]);
  });

  it('a batch deleted while its load is still copying makes the load fail', async () => {
    const batchRowId = await seedBatch(db.ds(), 'acme', 'B-raced');
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const copying = new Promise<void>((resolve) => (started = resolve));
    async function* rows() {
      yield txn(1);
      started();
      await held;
      yield txn(2);
    }
    const loading = loadTransactions(db.ds(), { companyId: 'acme', batchRowId, rows: rows() }, noop);
    await copying;
    // The load's rows are not committed and its check has not run yet: the delete goes through.
    await q(`DELETE FROM batches WHERE id = $1`, [batchRowId]);
    release();
    await expect(loading).rejects.toMatchObject(fkViolation('transactions_batch_row_id_fkey'));
    expect(await countRows(db.ds(), batchRowId)).toBe(0);
  });

  it('down restores the foreign keys, up the per-statement checks', async () => {
    const batchRowId = await seedBatch(db.ds(), 'acme', 'B-down');
    await load(batchRowId, null);
    const runner = db.ds().createQueryRunner();
    try {
      await new TransactionRefsPerStatement1764700005000().down(runner);
      const constraints = await q(`SELECT conname FROM pg_constraint WHERE conrelid = 'transactions'::regclass AND contype = 'f' ORDER BY 1`);
      expect(constraints).toEqual([{ conname: 'transactions_batch_row_id_fkey' }, { conname: 'transactions_file_id_fkey' }]);
      await expect(load('999999', null)).rejects.toMatchObject(fkViolation('transactions_batch_row_id_fkey'));
      await new TransactionRefsPerStatement1764700005000().up(runner);
    } finally {
      await runner.release();
    }
    expect(await q(`SELECT conname FROM pg_constraint WHERE conrelid = 'transactions'::regclass AND contype = 'f'`)).toEqual([]);
    await expect(load('999999', null)).rejects.toMatchObject(fkViolation('transactions_batch_row_id_fkey'));
    expect(await countRows(db.ds(), batchRowId)).toBe(3);
  });
});
