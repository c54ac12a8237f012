// Test data for the store: transactions, companies and batches.
import type { DataSource, EntityManager } from 'typeorm';
import { update } from '../../src/db/sql.js';
import { rowKeyOf, type Transaction } from '../../src/model/transaction.js';

/** A plausible SAE-like transaction number `i` of a file; the journal key makes it stable across regenerated files. */
export function txn(i: number, over: Partial<Transaction> = {}): Transaction {
  const base = {
    file: 'extract.txt',
    fileSha256: 'a'.repeat(64),
    lineNumber: i + 2,
    sourceBatchId: '42',
    employeeId: `E${i % 7}`,
    employeeName: `Employee ${i % 7}`,
    reportId: `R${Math.floor(i / 3)}`,
    reportKey: String(1000 + Math.floor(i / 3)),
    reportName: 'Trip',
    entryId: String(i),
    journalKey: String(5000 + i),
    transactionDate: `2025-0${1 + (i % 3)}-1${i % 10}`,
    expenseType: ['Airfare', 'Hotel', 'Meals'][i % 3]!,
    description: `line ${i}`,
    vendor: 'Vendor',
    accountCode: `60${i % 4}0`,
    debitCredit: 'DR' as const,
    amount: `${i}.25`,
    currency: i % 5 === 0 ? 'EUR' : 'USD',
    paymentType: 'Cash',
    raw: { 'Journal Amount': `${i}.25`, 'Journal Key': String(5000 + i) },
    ...over,
  };
  return { ...base, rowKey: over.rowKey ?? rowKeyOf(base.journalKey, base.lineNumber) };
}

export async function* streamOf<T>(items: Iterable<T>): AsyncGenerator<T> {
  for (const item of items) yield item;
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

export async function seedCompany(ds: DataSource, id: string, over: { authState?: 'ok' | 'needs_reauth' } = {}): Promise<void> {
  await ds.query(`INSERT INTO companies (id, name, auth_state) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, [
    id,
    `Company ${id}`,
    over.authState ?? 'ok',
  ]);
}

/** Inserts a company (if new) and a batch in `state`; returns its row id. */
export async function seedBatch(ds: DataSource, companyId: string, concurBatchId: string, state = 'fetched'): Promise<string> {
  await seedCompany(ds, companyId);
  const [row] = (await ds.query(
    `INSERT INTO batches (company_id, concur_batch_id, name, state, currency) VALUES ($1, $2, $3, $4, 'USD') RETURNING id::text AS id`,
    [companyId, concurBatchId, `Batch ${concurBatchId}`, state],
  )) as Array<{ id: string }>;
  return row!.id;
}

export async function countRows(ds: DataSource, batchRowId: string): Promise<number> {
  const [row] = (await ds.query(`SELECT count(*)::int AS n FROM transactions WHERE batch_row_id = $1`, [batchRowId])) as Array<{ n: number }>;
  return row!.n;
}

/** What the pipeline does inside the load's transaction: the state change and its audit event. */
export function markLoaded(batchRowId: string): (m: EntityManager) => Promise<void> {
  return async (m) => {
    const { rows } = await update<{ company_id: string; state: string }>(
      m,
      `UPDATE batches b SET state = 'loaded', loaded_at = now() FROM batches old
       WHERE b.id = $1 AND old.id = b.id RETURNING b.company_id, old.state`,
      [batchRowId],
    );
    await m.query(`INSERT INTO batch_events (batch_row_id, company_id, kind, from_state, to_state) VALUES ($1, $2, 'transition', $3, 'loaded')`, [
      batchRowId,
      rows[0]!.company_id,
      rows[0]!.state,
    ]);
  };
}

export async function batchState(ds: DataSource, batchRowId: string): Promise<{ state: string; events: number }> {
  const [row] = (await ds.query(
    `SELECT state, (SELECT count(*)::int FROM batch_events e WHERE e.batch_row_id = b.id) AS events FROM batches b WHERE id = $1`,
    [batchRowId],
  )) as Array<{ state: string; events: number }>;
  return row!;
}
