// The rows and totals a delivery states: a reconciled load's, as committed with its rows; otherwise the rows'.
import { describe, expect, it } from 'vitest';
import type { CompanyConfig } from '../../src/config/schema.js';
import type { Reconciliation } from '../../src/model/reconciliation.js';
import { deliverStep } from '../../src/pipeline/steps/deliver.js';
import { getBatch } from '../../src/store/batches.js';
import { recordFile } from '../../src/store/file-store.js';
import { loadTransactions } from '../../src/store/load.js';
import type { BatchToDeliver, Sink } from '../../sinks/sink.js';
import { quietLogger, useMigratedDatabase } from '../support/db.js';
import { range, seedBatch, streamOf, txn } from '../store/fixtures.js';

const db = useMigratedDatabase();

/** What the sink is handed for the batch when its stored reconciliation is `rec`. */
async function handed(concurBatchId: string, rec: Reconciliation): Promise<BatchToDeliver> {
  const ds = db.ds();
  const batchRowId = await seedBatch(ds, 'acme', concurBatchId, 'loaded');
  await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(range(5).map((i) => txn(i))) }, async () => undefined);
  await recordFile(ds, { batchRowId, name: 'extract.txt', kind: 'sae', sha256: 'a'.repeat(64), size: 1, storagePath: `files/aa/${'a'.repeat(64)}` });
  const seen: BatchToDeliver[] = [];
  const sink: Sink = { name: 'sftp', deliver: async (b) => (seen.push(b), { sink: 'sftp', ok: true, files: [] }) };
  const batch = { ...(await getBatch(ds, batchRowId))!, reconciliation: rec };
  const step = deliverStep({ ds, dataDir: '/nonexistent', sinksFor: () => [sink] });
  await step({ batch, company: { id: 'acme' } as CompanyConfig, now: () => new Date(), logger: quietLogger, commitWithin: () => Promise.reject(new Error('not a load')) });
  return seen[0]!;
}

const stated = { rows: 7, totals: { USD: '1' }, difference: {}, checks: [], warnings: [] };

describe('deliver: the figures a sink is handed', () => {
  it('a reconciled load: its figures, as committed with the rows', async () => {
    expect(await handed('F-1', { status: 'reconciled', ...stated })).toMatchObject({ rows: 7, totals: { USD: '1' } });
  });

  it('a mismatch (perhaps quarantined with its rows rolled back): the rows as stored', async () => {
    // Rows 0..4: 0.25 EUR (row 0), 1.25 + 2.25 + 3.25 + 4.25 USD.
    expect(await handed('F-2', { status: 'mismatch', ...stated })).toMatchObject({ rows: 5, totals: { EUR: '0.25', USD: '11' } });
  });
});
