// The QI Tech sink against the sandbox and a migrated database: once per batch under retries and crashes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQiTechSink } from '../../sinks/qitech/sink.js';
import { batchExternalId } from '../../sinks/qitech/plan.js';
import { startQiTechSandbox, type QiTechSandbox } from '../../sandboxes/qitech/index.js';
import { quietLogger, useMigratedDatabase } from '../support/db.js';
import { API_CLIENT_KEY, keyPair, loadedBatch, noSleep, sinkConfig } from './fixtures.js';

const db = useMigratedDatabase();
const keys = keyPair();
let sandbox: QiTechSandbox;

beforeAll(async () => {
  sandbox = await startQiTechSandbox({ clients: { [API_CLIENT_KEY]: keys.publicKey } });
});
afterAll(() => sandbox.close());

const sink = (fetchImpl?: typeof fetch, over = {}) =>
  createQiTechSink(sinkConfig(sandbox.url, keys.privateKeyPath, over), { ds: db.ds(), logger: quietLogger, sleep: noSleep, fetch: fetchImpl, random: () => 0.5 });
const remote = (company: string, concurBatchId: string) => sandbox.controls.batches().filter((b) => b.externalId === batchExternalId(company, concurBatchId));

const THREE_REPORTS = [
  { reportId: 'R1', amounts: ['100.10', '0.2'] },
  { reportId: 'R2', amounts: ['12.345', '0.005'] },
  { reportId: 'R3', amounts: ['5'] },
];

describe('qitech-settlement sink', () => {
  it('creates one payment batch with one settlement per report, amounts exact, and closes insertion', async () => {
    const batch = await loadedBatch(db.ds(), 'acme', 'B1', THREE_REPORTS);
    const report = await sink().deliver(batch);
    expect(report.error?.message).toBeUndefined();
    expect(report.ok).toBe(true);
    const [b, ...more] = remote('acme', 'B1');
    expect(more).toHaveLength(0);
    expect(b!.status).toBe('pending_payment');
    expect(b!.settlements.map((s) => s.totalValue).sort()).toEqual(['100.30', '12.35', '5.00']);
    expect(b!.settlements.every((s) => s.contractNumber?.startsWith('K-R') && s.installmentNumber === 1)).toBe(true);
    const [row] = (await db.ds().query(`SELECT status, closed_at IS NOT NULL AS closed FROM qitech_payment_batches WHERE external_id = $1`, [b!.externalId])) as Array<{ status: string; closed: boolean }>;
    expect(row).toEqual({ status: 'pending_payment', closed: true });
  });

  it('delivering again changes nothing and creates nothing', async () => {
    const batch = await loadedBatch(db.ds(), 'acme', 'B2', THREE_REPORTS);
    expect((await sink().deliver(batch)).ok).toBe(true);
    const before = sandbox.counters.requests('createBatch');
    expect((await sink().deliver(batch)).ok).toBe(true);
    expect(sandbox.counters.requests('createBatch')).toBe(before + 1);
    expect(remote('acme', 'B2')).toHaveLength(1);
    expect(remote('acme', 'B2')[0]!.settlements).toHaveLength(3);
  });

  it('rides out 503s with retries', async () => {
    const batch = await loadedBatch(db.ds(), 'acme', 'B3', THREE_REPORTS);
    sandbox.controls.failNext('createBatch', 2);
    sandbox.controls.failNext('insertSettlement', 2);
    sandbox.controls.failNext('setBatchStatus', 1);
    expect((await sink().deliver(batch)).ok).toBe(true);
    expect(remote('acme', 'B3')[0]!.settlements).toHaveLength(3);
    expect(remote('acme', 'B3')[0]!.status).toBe('pending_payment');
  });

  it.each([
    ['the batch creation', 1],
    ['the second settlement', 3],
    ['the close', 5],
  ])('a crash right after QI Tech accepted %s: a fresh sink finishes with one batch and one settlement per report', async (_what, crashAt) => {
    const concurBatchId = `CRASH-${crashAt}`;
    const batch = await loadedBatch(db.ds(), 'acme', concurBatchId, THREE_REPORTS);
    let writes = 0;
    const crashing: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (init?.method !== 'GET' && ++writes === crashAt) throw new Error('process died after the server answered');
      return res;
    };
    // The crash interrupts the run (the injected error stands for the process dying; retries are off).
    const first = await sink(crashing, { retries: { attempts: 1 } }).deliver(batch);
    expect(first.ok).toBe(false);
    expect(first.error?.retryable).toBe(true);
    const second = await sink().deliver(batch);
    expect(second.error?.message).toBeUndefined();
    const [b, ...more] = remote('acme', concurBatchId);
    expect(more).toHaveLength(0);
    expect(b!.status).toBe('pending_payment');
    expect(b!.settlements.map((s) => s.totalValue).sort()).toEqual(['100.30', '12.35', '5.00']);
    const [n] = (await db.ds().query(`SELECT count(*)::int AS n FROM qitech_settlements WHERE payment_batch_external_id = $1`, [b!.externalId])) as Array<{ n: number }>;
    expect(n!.n).toBe(3);
  });

  it('never creates a batch it could not close (SET000017): a batch paying nothing is done without one', async () => {
    const batch = await loadedBatch(db.ds(), 'acme', 'EMPTY', [{ reportId: 'R1', amounts: ['10.00', '-10.00'] }]);
    const closesBefore = sandbox.counters.requests('setBatchStatus');
    const report = await sink().deliver(batch);
    expect(report.ok).toBe(true);
    expect(remote('acme', 'EMPTY')).toHaveLength(0);
    expect(sandbox.counters.requests('setBatchStatus')).toBe(closesBefore);
    expect(sandbox.counters.errors('SET000017')).toBe(0);
  });

  it('discards a leftover open batch when nothing is left to pay, recorded in the audit trail', async () => {
    // A first run created the batch but could not close it; then a replay left the batch paying nothing.
    const again = await loadedBatch(db.ds(), 'acme', 'LEFTOVER2', [{ reportId: 'R1', amounts: ['7.00'] }]);
    sandbox.controls.failNext('setBatchStatus', 3);
    const stuck = await sink().deliver(again);
    expect(stuck.error?.retryable).toBe(true);
    expect(remote('acme', 'LEFTOVER2')[0]!.status).toBe('pending_settlements_insertion');
    await db.ds().query(`DELETE FROM qitech_settlements WHERE payment_batch_external_id = $1`, [batchExternalId('acme', 'LEFTOVER2')]);
    await db.ds().query(`UPDATE transactions SET amount = 0 WHERE company_id = 'acme' AND row_key LIKE 'jk:LEFTOVER2-%'`);
    const report = await sink().deliver(again);
    expect(report.ok).toBe(true);
    expect(remote('acme', 'LEFTOVER2')[0]!.status).toBe('discarded');
    const events = (await db.ds().query(
      `SELECT e.kind, e.from_state, e.to_state FROM batch_events e JOIN batches b ON b.id = e.batch_row_id WHERE b.concur_batch_id = 'LEFTOVER2' AND e.kind = 'qitech_batch_discarded'`,
    )) as unknown[];
    expect(events).toEqual([{ kind: 'qitech_batch_discarded', from_state: 'pending_settlements_insertion', to_state: 'discarded' }]);
  });

  it('a permanent refusal (an asset_type QI Tech rejects) before the close discards the batch when the policy says so', async () => {
    const batch = await loadedBatch(db.ds(), 'acme', 'REFUSED', [
      { reportId: 'R1', amounts: ['1.00'] },
      { reportId: 'R2', amounts: ['2.00'] },
    ]);
    const report = await sink(undefined, { settlement: { assetType: 'x'.repeat(101), settlementType: 'payment' } }).deliver(batch);
    expect(report.ok).toBe(false);
    expect(report.error?.retryable).toBe(false);
    expect(remote('acme', 'REFUSED')[0]!.status).toBe('discarded');
    const [row] = (await db.ds().query(`SELECT status, discarded_at IS NOT NULL AS d FROM qitech_payment_batches WHERE external_id = $1`, [batchExternalId('acme', 'REFUSED')])) as unknown[];
    expect(row).toEqual({ status: 'discarded', d: true });
  });

  it('the sandbox refuses a body changed after signing', async () => {
    const batch = await loadedBatch(db.ds(), 'acme', 'TAMPER', THREE_REPORTS);
    const tampering: typeof fetch = (input, init) => {
      const body = init?.body instanceof Buffer ? Buffer.from(init.body.toString('utf8').replace('"total_value":5.00', '"total_value":500.00')) : init?.body;
      return fetch(input, { ...init, body });
    };
    const report = await sink(tampering).deliver(batch);
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('auth');
    expect(report.error?.message).toContain('payload_md5');
    expect(remote('acme', 'TAMPER')[0]!.settlements.map((s) => s.totalValue)).not.toContain('500.00');
  });
});
