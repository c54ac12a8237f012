// Webhooks end to end: the sandbox pays a batch and delivers to the daemon's HTTP server with the route mounted.
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchExternalId } from '../../sinks/qitech/plan.js';
import { createQiTechSink } from '../../sinks/qitech/sink.js';
import { createQiTechWebhookRoute } from '../../sinks/qitech/webhook.js';
import { startHttpServer } from '../../src/http/server.js';
import { startQiTechSandbox, type QiTechSandbox } from '../../sandboxes/qitech/index.js';
import { payouts } from '../../sinks/qitech/store.js';
import { quietLogger, useMigratedDatabase } from '../support/db.js';
import { API_CLIENT_KEY, keyPair, loadedBatch, noSleep, sinkConfig } from './fixtures.js';

const db = useMigratedDatabase();
const keys = keyPair();
const SECRET = 'webhook-secret-123';
let sandbox: QiTechSandbox;
let http: Awaited<ReturnType<typeof startHttpServer>>;
let daemonUrl: string;

beforeAll(async () => {
  http = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    registry: new Registry(),
    ready: async () => ({ ok: true, detail: 'ok' }),
    routes: { '/webhooks/qitech': createQiTechWebhookRoute({ ds: db.ds(), logger: quietLogger, secret: SECRET }) },
    logger: quietLogger,
  });
  daemonUrl = `http://127.0.0.1:${http.port}/webhooks/qitech`;
  sandbox = await startQiTechSandbox({
    clients: { [API_CLIENT_KEY]: keys.publicKey },
    webhook: { url: `${daemonUrl}/${SECRET}`, attempts: 3 },
    sleep: noSleep,
  });
});
afterAll(async () => {
  await sandbox.close();
  await http.close();
});

async function deliveredBatch(concurBatchId: string): Promise<string> {
  const batch = await loadedBatch(db.ds(), 'acme', concurBatchId, [
    { reportId: 'R1', amounts: ['10.00'] },
    { reportId: 'R2', amounts: ['20.50'] },
  ]);
  const sink = createQiTechSink(sinkConfig(sandbox.url, keys.privateKeyPath), { ds: db.ds(), logger: quietLogger, sleep: noSleep });
  expect((await sink.deliver(batch)).ok).toBe(true);
  return batchExternalId('acme', concurBatchId);
}

const eventCount = async () => ((await db.ds().query(`SELECT count(*)::int AS n FROM qitech_webhook_events`)) as Array<{ n: number }>)[0]!.n;

describe('QI Tech webhooks', () => {
  it('move the batch to paid and every settlement to settled, shown in the payouts view', async () => {
    const id = await deliveredBatch('PAID');
    const deliveries = await sandbox.controls.pay(id);
    expect(deliveries.map((d) => d.statuses)).toEqual([[200], [200], [200]]);
    const [p] = await payouts(db.ds(), 'acme').then((rows) => rows.filter((r) => r.paymentBatchExternalId === id));
    expect(p).toMatchObject({ concurBatchId: 'PAID', status: 'paid', settlements: 2, settled: 2, totalValue: '30.50' });
    expect(p!.paidAt).toBeInstanceOf(Date);
  });

  it('stores a redelivered event once (same content, other key order) and ignores unknown fields', async () => {
    const id = await deliveredBatch('REDELIVER');
    const before = await eventCount();
    const event = { webhook_type: 'settlement.payment_batch_status_change', webhook_datetime: '2025-01-16T10:00:00Z', data: { status: 'paid', external_id: id, new_field: 1 } };
    expect((await sandbox.controls.deliver(event)).statuses).toEqual([200]);
    expect((await sandbox.controls.deliver({ data: { new_field: 1, external_id: id, status: 'paid' }, webhook_datetime: '2025-01-16T10:00:00Z', webhook_type: event.webhook_type })).statuses).toEqual([200]);
    expect(await eventCount()).toBe(before + 1);
    // A stale event never takes a paid batch back.
    await sandbox.controls.deliver({ ...event, data: { external_id: id, status: 'pending_payment' } });
    const [row] = (await db.ds().query(`SELECT status FROM qitech_payment_batches WHERE external_id = $1`, [id])) as Array<{ status: string }>;
    expect(row!.status).toBe('paid');
  });

  it('answers 404 for an unknown batch or settlement, and stores nothing', async () => {
    const before = await eventCount();
    const unknownBatch = await sandbox.controls.deliver({ webhook_type: 'settlement.payment_batch_status_change', data: { external_id: 'nope', status: 'paid' } });
    expect(unknownBatch.statuses).toEqual([404, 404, 404]);
    const id = await deliveredBatch('UNKNOWN-S');
    const unknownSettlement = await sandbox.controls.deliver({
      webhook_type: 'settlement.settlement_status_change',
      data: { payment_batch_external_id: id, settlement_external_id: 'nope', settlement_status: 'settled' },
    });
    expect(unknownSettlement.delivered).toBe(false);
    expect(await eventCount()).toBe(before);
  });

  it('refuses a bad or missing secret with 401; the sandbox retries and then succeeds once the secret is right', async () => {
    const id = await deliveredBatch('SECRET');
    sandbox.controls.setWebhook({ url: `${daemonUrl}/wrong`, attempts: 2 });
    const refused = await sandbox.controls.deliver({ webhook_type: 'settlement.payment_batch_status_change', data: { external_id: id, status: 'paid' } });
    expect(refused).toMatchObject({ delivered: false, statuses: [401, 401] });
    const noSecret = await fetch(daemonUrl, { method: 'POST', body: '{}' });
    expect(noSecret.status).toBe(401);
    sandbox.controls.setWebhook({ url: daemonUrl, headers: { 'x-qitech-webhook-secret': SECRET } });
    const [settled] = await sandbox.controls.pay(id);
    expect(settled!.delivered).toBe(true);
    sandbox.controls.setWebhook({ url: `${daemonUrl}/${SECRET}`, attempts: 3 });
    const [row] = (await db.ds().query(`SELECT status FROM qitech_payment_batches WHERE external_id = $1`, [id])) as Array<{ status: string }>;
    expect(row!.status).toBe('paid');
  });

  it('answers 400 for malformed events and 202 for other event types, without crashing', async () => {
    const post = (body: string) => fetch(`${daemonUrl}/${SECRET}`, { method: 'POST', body }).then((r) => r.status);
    expect(await post('not json')).toBe(400);
    expect(await post(JSON.stringify({ webhook_type: 'settlement.settlement_status_change', data: {} }))).toBe(400);
    expect(await post(JSON.stringify({ webhook_type: 'credit_operation.status_change', data: {} }))).toBe(202);
    expect((await fetch(`http://127.0.0.1:${http.port}/healthz`)).status).toBe(200);
  });
});
