import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkXeroPayments, reverseXeroBatch } from '../../sinks/xero/payments.js';
import { startXeroSandbox, type XeroSandbox } from '../../sandboxes/xero/index.js';
import { readXeroPayment } from '../../sinks/xero/store.js';
import { useMigratedDatabase } from '../support/db.js';
import { crashingFetch, manualClock, newClient, newSink, processDeps, quiet, seedBatch, sinkConfig, TENANT, type Line } from './harness.js';

const db = useMigratedDatabase();
const clock = manualClock();
let sb: XeroSandbox;

beforeAll(async () => {
  sb = await startXeroSandbox({ clock });
});
afterAll(() => sb.close());

// 0.1 + 0.2 must stay 0.3: amounts never pass through a float. Report ids are unique per test (one tenant).
const lines = (p: string): Line[] => [
  { report: `${p}-100`, employee: 'E1', name: 'Ada Lovelace', account: '6000', amount: '0.10' },
  { report: `${p}-100`, employee: 'E1', name: 'Ada Lovelace', account: '6100', amount: '0.20' },
  { report: `${p}-200`, employee: 'E2', name: 'Alan Turing', account: '6000', amount: '1234567.89' },
  { report: `${p}-300`, employee: 'E3', name: 'Grace Hopper', account: '6100', amount: '42.42' },
];
const totals = (p: string) => ({ [`${p}-100`]: '0.3', [`${p}-200`]: '1234567.89', [`${p}-300`]: '42.42' });

const ours = (reference: string) => sb.controls.batchPayments(TENANT).filter((p) => p.reference === reference);
const billsNumbered = (n: string) => sb.controls.bills(TENANT).filter((b) => b.invoiceNumber === n && b.status !== 'DELETED');

async function deliverUntilOk(batch: Awaited<ReturnType<typeof seedBatch>>, make: () => ReturnType<typeof newSink>, rounds = 8) {
  for (let i = 0; i < rounds; i++) {
    const r = await make().deliver(batch);
    if (r.ok) return r;
    expect(r.error, r.error?.message).toMatchObject({ retryable: true });
  }
  throw new Error('never delivered');
}

/** Each report's bill exists once and the batch payment pays exactly the report totals. */
function expectPostedOnce(reference: string, reports: Record<string, string>) {
  const payments = ours(reference);
  expect(payments).toHaveLength(1);
  expect(Object.fromEntries(payments[0]!.payments.map((p) => [p.invoiceNumber, p.amount]))).toEqual(reports);
  for (const n of Object.keys(reports)) expect(billsNumbered(n)).toHaveLength(1);
}

const refOf = (b: { company: string; concurBatchId: string; batchName: string }) => `Concur ${b.company}/${b.concurBatchId} ${b.batchName}`;

describe('xero sink against the sandbox', () => {
  it('creates one bill per report and one batch payment, once, with the close date and exact amounts', async () => {
    const batch = await seedBatch(db.ds(), lines('A'));
    const config = sinkConfig(sb);
    const report = await newSink(config, processDeps(db.ds(), clock)).deliver(batch);
    expect(report.error?.message).toBeUndefined();
    expect(report.ok).toBe(true);
    expectPostedOnce(refOf(batch), totals('A'));
    const [p] = ours(refOf(batch));
    expect(p).toMatchObject({ date: '2025-03-14', status: 'AUTHORISED', total: '1234610.61' });
    expect(p!.details!.length).toBeLessThanOrEqual(18);
    expect(p!.code!.length).toBeLessThanOrEqual(12);
    const writes = sb.counters.requests('PUT /api.xro/2.0/BatchPayments');
    const again = await newSink(config, processDeps(db.ds(), clock)).deliver(batch);
    expect(again.ok).toBe(true);
    expect(sb.counters.requests('PUT /api.xro/2.0/BatchPayments')).toBe(writes);
    expectPostedOnce(refOf(batch), totals('A'));
  });

  it('posts once through 5xx, dropped connections and lost answers (Idempotency-Key replay)', async () => {
    const batch = await seedBatch(db.ds(), lines('F'));
    sb.controls.setFaults({ rate: 0.4, seed: 7, kinds: ['500', '503', 'reset'] });
    sb.controls.loseAnswers({ count: 1, method: 'PUT', path: '/BatchPayments' });
    const replays = sb.counters.replays();
    try {
      await deliverUntilOk(batch, () => newSink(sinkConfig(sb), processDeps(db.ds(), clock)));
    } finally {
      sb.controls.setFaults(null);
    }
    expect(sb.counters.faults()).toBeGreaterThan(0);
    expect(sb.counters.replays()).toBeGreaterThan(replays);
    expectPostedOnce(refOf(batch), totals('F'));
  });

  for (const [step, path] of [
    ['bills', '/Invoices'],
    ['batch payment', '/BatchPayments'],
  ] as const) {
    it(`a crash right after the ${step} write was accepted: a fresh process posts nothing twice`, async () => {
      const p = `C${path.length}`;
      const batch = await seedBatch(db.ds(), lines(p));
      const config = sinkConfig(sb);
      const dying = crashingFetch((method, url, status) => method === 'PUT' && new URL(url).pathname.endsWith(path) && status === 200);
      const first = await newSink(config, processDeps(db.ds(), clock, { fetch: dying })).deliver(batch);
      expect(first.ok).toBe(false);
      expect(first.error, first.error?.message).toMatchObject({ retryable: true });
      expect(billsNumbered(`${p}-300`).length).toBeGreaterThan(0); // the write did happen
      const second = await newSink(config, processDeps(db.ds(), clock)).deliver(batch);
      expect(second.ok).toBe(true);
      expectPostedOnce(refOf(batch), totals(p));
      expect((await readXeroPayment(db.ds(), await batchRowIdOf(batch.concurBatchId), 'xero'))?.batchPaymentId).toBe(ours(refOf(batch))[0]!.batchPaymentId);
    });
  }

  it('rides out a 429 storm honouring Retry-After, and keeps within 5 in flight / 60 a minute on its own', async () => {
    const many: Line[] = Array.from({ length: 70 }, (_, i) => ({ report: `M-${i}`, employee: `E${i}`, name: `Emp ${i}`, account: '6000', amount: `${i + 1}.05` }));
    const batch = await seedBatch(db.ds(), many);
    // One report per lookup: 70 GETs fired at once must be paced by the client, not refused by the server.
    const config = sinkConfig(sb, { limits: { lookupChunk: 1 } });
    clock.advance(61_000); // earlier tests' calls leave the sandbox's minute window
    const before = sb.counters.throttled();
    const report = await newSink(config, processDeps(db.ds(), clock)).deliver(batch);
    expect(report.error?.message).toBeUndefined();
    expect(sb.counters.throttled()).toBe(before);

    const storm = await seedBatch(db.ds(), lines('S'));
    const t0 = clock.now();
    sb.controls.throttle(12, 'minute', 5);
    expect((await newSink(sinkConfig(sb), processDeps(db.ds(), clock)).deliver(storm)).ok).toBe(true);
    expect(sb.counters.throttled()).toBe(before + 12);
    expect(clock.now() - t0).toBeGreaterThanOrEqual(12 * 5_000);
    expectPostedOnce(refOf(storm), totals('S'));
  });

  it('a missing bill with createBills: false fails for good, naming the report', async () => {
    const batch = await seedBatch(db.ds(), [
      { report: 'X-1', employee: 'E1', name: 'Ada Lovelace', account: '6000', amount: '10.00' },
      { report: 'X-2', employee: 'E2', name: 'Alan Turing', account: '6000', amount: '20.00' },
    ]);
    sb.controls.addBill({ tenantId: TENANT, invoiceNumber: 'X-1', contactName: 'Ada Lovelace', total: '10.00' });
    const report = await newSink(sinkConfig(sb, { createBills: false }), processDeps(db.ds(), clock)).deliver(batch);
    expect(report.ok).toBe(false);
    expect(report.error?.retryable).toBe(false);
    expect(report.error?.message).toContain('report X-2');
    expect(report.error?.message).toContain('no ACCPAY bill numbered X-2');
    expect(report.error?.message).not.toContain('X-1:');
    expect(ours(refOf(batch))).toHaveLength(0);
  });

  it('pays each currency from its own bank account; a currency without one is refused untouched, naming it; Xero refuses an account in another currency', async () => {
    const eur = (p: string): Line[] => lines(p).map((l) => ({ ...l, currency: 'EUR' }));
    const both = sinkConfig(sb, { bankAccount: { code: '090' }, bankAccounts: { EUR: { code: '091' } } });
    const eurBatch = await seedBatch(db.ds(), eur('M1'));
    const usdBatch = await seedBatch(db.ds(), lines('M2'));
    for (const b of [eurBatch, usdBatch]) expect((await newSink(both, processDeps(db.ds(), clock)).deliver(b)).error?.message).toBeUndefined();
    expect(ours(refOf(eurBatch))).toMatchObject([{ account: '091' }]);
    expect(ours(refOf(usdBatch))).toMatchObject([{ account: '090' }]);
    expectPostedOnce(refOf(eurBatch), totals('M1'));

    // Only a USD account configured: the EUR batch is refused before any bill or payment is written.
    const usdOnly = sinkConfig(sb, { bankAccount: undefined, bankAccounts: { USD: { code: '090' } } });
    const refused = await seedBatch(db.ds(), eur('M3'));
    const r = await newSink(usdOnly, processDeps(db.ds(), clock)).deliver(refused);
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ code: 'config', retryable: false });
    expect(r.error?.message).toContain('no Xero bank account for currency EUR: add bankAccounts.EUR');
    expect(ours(refOf(refused))).toHaveLength(0);
    expect(billsNumbered('M3-100')).toHaveLength(0);

    // Paying EUR bills from the USD account: the sandbox, like Xero, refuses each payment.
    const wrong = await seedBatch(db.ds(), eur('M4'));
    const w = await newSink(sinkConfig(sb), processDeps(db.ds(), clock)).deliver(wrong);
    expect(w.ok).toBe(false);
    expect(w.error?.message).toContain('The currency of the bank account 090 (USD) must match the currency of the invoice (EUR)');
    expect(ours(refOf(wrong))).toHaveLength(0);
  });

  it('pays existing bills without creating any', async () => {
    const batch = await seedBatch(db.ds(), [{ report: 'Y-1', employee: 'E1', name: 'Ada Lovelace', account: '6000', amount: '10.00' }]);
    sb.controls.addBill({ tenantId: TENANT, invoiceNumber: 'Y-1', contactName: 'Ada Lovelace', total: '10.00' });
    expect((await newSink(sinkConfig(sb, { createBills: false }), processDeps(db.ds(), clock)).deliver(batch)).ok).toBe(true);
    expectPostedOnce(refOf(batch), { 'Y-1': '10' });
    expect(billsNumbered('Y-1')[0]).toMatchObject({ status: 'PAID', amountDue: '0' });
  });

  it('reports ValidationErrors of a 200 answer by element', async () => {
    const batch = await seedBatch(db.ds(), [
      { report: 'V-1', employee: 'E1', name: 'Ada Lovelace', account: '6000', amount: '5.00' },
      { report: 'V-2', employee: 'E2', name: 'Alan Turing', account: '7777', amount: '6.00' },
    ]);
    const config = sinkConfig(sb, { accounts: { '6000': '429', '7777': '999' } });
    const report = await newSink(config, processDeps(db.ds(), clock)).deliver(batch);
    expect(report.ok).toBe(false);
    expect(report.error?.retryable).toBe(false);
    expect(report.error?.message).toMatch(/bill for report V-2: Account code '999' is not a valid code/);
    expect(report.error?.message).not.toContain('report V-1');
    expect(billsNumbered('V-1')).toHaveLength(1); // the valid element was saved; a later run finds it
  });

  it('reads the status back, deletes on request with an audit event, and sees reconciliation', async () => {
    const ds = db.ds();
    const config = sinkConfig(sb);
    const deps = processDeps(ds, clock);
    const clientFor = () => newClient(config, 'acme', deps);
    const a = await seedBatch(ds, [{ report: 'Z-1', employee: 'E1', name: 'Ada Lovelace', account: '6000', amount: '7.00' }]);
    const b = await seedBatch(ds, [{ report: 'Z-2', employee: 'E2', name: 'Alan Turing', account: '6000', amount: '8.00' }]);
    for (const batch of [a, b]) expect((await newSink(config, deps).deliver(batch)).ok).toBe(true);
    const [pa] = ours(refOf(a));
    const [pb] = ours(refOf(b));
    sb.controls.reconcile(TENANT, pb!.batchPaymentId);
    clock.advance(60 * 60_000);
    const result = await checkXeroPayments({ ds, clientFor, logger: quiet, now: clock.now });
    expect(result.failed).toBe(0);
    const idA = await batchRowIdOf(a.concurBatchId);
    const idB = await batchRowIdOf(b.concurBatchId);
    expect(await readXeroPayment(ds, idA, 'xero')).toMatchObject({ status: 'AUTHORISED', isReconciled: false });
    expect(await readXeroPayment(ds, idB, 'xero')).toMatchObject({ status: 'AUTHORISED', isReconciled: true });
    const view = (await ds.query(`SELECT batch_payment_id, is_reconciled FROM reporting.xero_payments WHERE batch_id = $1`, [idB])) as unknown[];
    expect(view).toEqual([{ batch_payment_id: pb!.batchPaymentId, is_reconciled: true }]);

    const target = { id: idA, companyId: 'acme', concurBatchId: a.concurBatchId, state: 'done' };
    expect(await reverseXeroBatch(ds, clientFor(), 'xero', target, 'accountant')).toBeNull();
    expect(ours(refOf(a))[0]!.status).toBe('DELETED');
    expect(billsNumbered('Z-1')[0]).toMatchObject({ status: 'AUTHORISED', amountDue: '7' });
    expect(await reverseXeroBatch(ds, clientFor(), 'xero', target, 'accountant')).toMatch(/already deleted/);
    const events = (await ds.query(`SELECT kind, detail FROM batch_events WHERE batch_row_id = $1`, [idA])) as Array<{ kind: string; detail: Record<string, string> }>;
    expect(events).toEqual([{ kind: 'xero_batch_payment_deleted', detail: { sink: 'xero', batchPaymentId: pa!.batchPaymentId, by: 'accountant' } }]);
    // A reconciled batch payment stays; Xero's refusal is reported.
    expect(await reverseXeroBatch(ds, clientFor(), 'xero', { ...target, id: idB, concurBatchId: b.concurBatchId }, 'accountant')).toMatch(/reconciled/);
    // After a reversal, a replayed delivery posts a new batch payment (fresh keys), still one live one.
    expect((await newSink(config, deps).deliver(a)).ok).toBe(true);
    expect(ours(refOf(a)).map((p) => p.status).sort()).toEqual(['AUTHORISED', 'DELETED']);
  });

  it('refresh-token rotation is persisted before use: a fresh process uses the rotated token', async () => {
    const grace = await startXeroSandbox({ clock, refreshGraceMs: 0 });
    try {
      const config = sinkConfig(grace, { auth: { kind: 'refresh_token', clientId: grace.clientId, clientSecret: grace.clientSecret, refreshToken: grace.refreshToken } });
      const batch = await seedBatch(db.ds(), [{ report: 'T-1', employee: 'E1', name: 'Ada Lovelace', account: '6000', amount: '1.00' }], 'tokenco');
      expect((await newSink(config, processDeps(db.ds(), clock)).deliver(batch)).ok).toBe(true);
      const [row] = (await db.ds().query(`SELECT refresh_token FROM xero_tokens WHERE company_id = 'tokenco'`)) as Array<{ refresh_token: string }>;
      expect(row!.refresh_token).not.toBe(grace.refreshToken);
      grace.controls.expireAccessTokens();
      clock.advance(3 * 3600_000);
      const batch2 = await seedBatch(db.ds(), [{ report: 'T-2', employee: 'E1', name: 'Ada Lovelace', account: '6000', amount: '2.00' }], 'tokenco');
      expect((await newSink(config, processDeps(db.ds(), clock)).deliver(batch2)).ok).toBe(true);
      grace.controls.revokeRefreshToken();
      clock.advance(3 * 3600_000);
      const batch3 = await seedBatch(db.ds(), [{ report: 'T-3', employee: 'E1', name: 'Ada Lovelace', account: '6000', amount: '3.00' }], 'tokenco');
      const dead = await newSink(config, processDeps(db.ds(), clock)).deliver(batch3);
      expect(dead.error).toMatchObject({ code: 'auth', retryable: false });
      expect(dead.error?.message).toMatch(/re-authorisation/);
    } finally {
      await grace.close();
    }
  });
});

async function batchRowIdOf(concurBatchId: string): Promise<string> {
  const [r] = (await db.ds().query(`SELECT id::text AS id FROM batches WHERE concur_batch_id = $1`, [concurBatchId])) as Array<{ id: string }>;
  return r!.id;
}
