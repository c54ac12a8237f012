// Alerts against a real PostgreSQL and local receivers: a quarantine from the pipeline is announced once, with a
// valid signature; its recovery once as resolved; a receiver that is down holds nothing up and gets the alert later;
// nothing is lost or repeated across a restart (or a process that died mid-send). The clock is injected.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { useMigratedDatabase } from '../support/db.js';
import { createLogger } from '../../src/log.js';
import { createMetrics, registerDatabaseMetrics } from '../../src/metrics.js';
import { Worker, type StepHandlers } from '../../src/pipeline/worker.js';
import { requeue, upsertDiscovered } from '../../src/store/batches.js';
import { claimOutboxHead } from '../../src/store/alerts.js';
import { CompanySchema } from '../../src/config/schema.js';
import { AlertsConfigSchema } from '../../src/alerts/config.js';
import { ALERT_BACKOFF, drainAlerts, evaluateAlerts, runAlerts, type AlertDeps } from '../../src/alerts/engine.js';
import { verifySignature } from '../../sandboxes/alerts/verify.js';
import { startAlertReceiver, type AlertReceiver } from '../../sandboxes/alerts/receiver.js';
import { testPolicy } from '../pipeline/policy.js';

const db = useMigratedDatabase();
const SECRET = 'alerts-test-secret-0123456789';
let clock = Date.now();
const now = () => new Date(clock);
const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

function capturingLogger() {
  let text = '';
  const logger = createLogger({ level: 'debug', tty: false, stream: new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) }) });
  return { logger, text: () => text, lines: () => text.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; message: string } & Record<string, unknown>) };
}

async function receiver(port?: number): Promise<AlertReceiver> {
  const r = await startAlertReceiver({ secret: SECRET, port, now: () => clock });
  cleanups.push(() => r.close());
  return r;
}

/** The pipeline's steps, except that `load` of the batches named in `bad` finds the file unreadable. */
function handlers(bad: Set<string>): StepHandlers {
  return {
    close: async () => ({ kind: 'close_accepted', jobQueueKey: null }),
    watch_close: async () => ({ kind: 'seen_closed' }),
    get_file_url: async ({ batch }) => ({ kind: 'file_url', url: `https://x/${batch.concurBatchId}/file` }),
    fetch: async () => ({ kind: 'fetched', fileId: '0', sha256: 'x', size: 1 }),
    load: async ({ batch }) =>
      bad.has(batch.concurBatchId)
        ? { kind: 'invalid', reason: 'load: line 3: amount "1,0.0" is not a number' }
        : { kind: 'loaded', rows: 1, replaced: 0, reconciliation: { status: 'reconciled', rows: 1, totals: {}, difference: {}, checks: [], warnings: [] } },
    deliver: async () => ({ kind: 'delivered', sinks: ['sftp'] }),
  };
}

async function world(companyId: string, logger = capturingLogger().logger) {
  await db.ds().query(`INSERT INTO companies (id, name) VALUES ($1, $1)`, [companyId]);
  const company = CompanySchema.parse({ id: companyId, concur: { close: { schedule: 'immediate' } } });
  const bad = new Set<string>();
  const worker = new Worker({
    ds: db.ds(), handlers: handlers(bad), companies: [company], policyFor: () => testPolicy({ closeWatchIntervalMs: 0 }), holder: await db.holder(`worker-${companyId}`),
    now, logger, leaseMs: 60_000, globalConcurrency: 4, perCompanyConcurrency: 4, maxUnfinishedStarts: 3,
  });
  const batch = async (concurBatchId: string) => {
    await upsertDiscovered(db.ds(), {
      companyId, concurBatchId, name: `Batch ${concurBatchId}`, batchUrl: `https://x/v1.1/batch/e$${concurBatchId}`, type: 'Employee', paymentMethod: 'Expense Pay by SAP Concur',
      currency: 'EUR', batchTotal: '10.00', paymentDemands: 1, state: 'discovered', nextAttemptAt: now(), stateData: {},
    });
    const [row] = await db.ds().query(`SELECT id::text AS id FROM batches WHERE company_id = $1 AND concur_batch_id = $2`, [companyId, concurBatchId]);
    return row.id as string;
  };
  const settle = async () => {
    for (let round = 0; round < 20; round++) {
      if ((await worker.tick()) === 0) return;
      await worker.drain();
    }
  };
  const state = async (id: string) => ((await db.ds().query(`SELECT state FROM batches WHERE id = $1`, [id]))[0] as { state: string }).state;
  return { bad, batch, settle, state, worker };
}

function deps(companyId: string, url: string, over: Partial<AlertDeps> & { alerts?: object } = {}): AlertDeps {
  const { alerts, ...rest } = over;
  // Only the target is configured: every other setting is the default.
  const config = AlertsConfigSchema.parse({ targets: [{ type: 'webhook', name: 'ops', url, secret: SECRET }], ...alerts });
  return { ds: db.ds(), config, consoleUrl: 'https://erp-sync.example.com', companies: [companyId], now, logger: capturingLogger().logger, random: () => 1, ...rest };
}

const outbox = async () => db.ds().query(`SELECT target, attempts, next_attempt_at AS "nextAttemptAt", last_error AS "lastError" FROM alert_outbox ORDER BY id`);

/** A server that takes requests and never answers (a receiver hanging), on a port we can hand over afterwards. */
async function hangingServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

describe('alerts', () => {
  // Each test's companies stand for the whole configuration: alerts of other tests' companies are not its business.
  beforeEach(async () => {
    await db.ds().query(`DELETE FROM alerts`);
    await db.ds().query(`DELETE FROM alert_outbox`);
  });

  it('a quarantine sends exactly one signed alert; its recovery one "resolved" (default settings)', async () => {
    const log = capturingLogger();
    const w = await world('q1', log.logger);
    const id = await w.batch('B1');
    w.bad.add('B1');
    await w.settle();
    expect(await w.state(id)).toBe('quarantined');
    // Quarantines show at LOG_LEVEL=warn.
    expect(log.lines().find((l) => l.message === 'fetched → quarantined')).toMatchObject({ level: 'warn', batch: 'B1', error: 'load: line 3: amount "1,0.0" is not a number' });

    const r = await receiver();
    const d = deps('q1', r.url);
    await runAlerts(d);
    await runAlerts(d);
    // A restarted process (new objects, the same database) decides the same: nothing new.
    await runAlerts(deps('q1', r.url));
    expect(r.received()).toHaveLength(1);
    expect(r.refused()).toBe(0);
    const [first] = r.received();
    expect(verifySignature(SECRET, first!.body, first!.signature, Math.floor(clock / 1000))).toBe(true);
    expect(first!.message).toMatchObject({
      event: 'opened', kind: 'batch_quarantined', cause: `batch:${id}:quarantined`, company: 'q1', batch: 'B1',
      reason: 'load: line 3: amount "1,0.0" is not a number', link: 'https://erp-sync.example.com/batches/B1', resolvedAt: null,
    });

    // Fixed and retried: done. One "resolved", then nothing more.
    w.bad.delete('B1');
    expect(await requeue(db.ds(), id, 'fetched', 'fixed')).toBe(true);
    clock = Math.max(clock, Date.now()) + 1_000; // requeue schedules at the database's now
    await w.settle();
    expect(await w.state(id)).toBe('done');
    await runAlerts(d);
    await runAlerts(deps('q1', r.url));
    expect(r.received().map((x) => [x.message.event, x.message.cause])).toEqual([['opened', `batch:${id}:quarantined`], ['resolved', `batch:${id}:quarantined`]]);
    const resolved = r.received()[1]!;
    expect(verifySignature(SECRET, resolved.body, resolved.signature, Math.floor(clock / 1000))).toBe(true);
    expect(resolved.message.resolvedAt).toBe(now().toISOString());
    expect(await outbox()).toEqual([]);
  });

  it('a receiver that is down delays nothing and gets the alert later', async () => {
    const w = await world('down');
    const broken = await w.batch('D1');
    w.bad.add('D1');
    await w.settle();
    const hanging = await hangingServer();
    const metrics = createMetrics();
    const d = deps('down', `http://127.0.0.1:${hanging.port}/hook`, { metrics, alerts: { requestTimeoutMs: 600_000 } });
    expect(await evaluateAlerts(d)).toEqual({ opened: 1, resolved: 0 });
    registerDatabaseMetrics(metrics.registry, db.ds());
    const scrape = await metrics.registry.metrics();
    expect(scrape).toMatch(/^erp_sync_alerts_pending\{target="ops"\} 1$/m);
    expect(scrape).toMatch(/^erp_sync_alerts_open\{kind="batch_quarantined"\} 1$/m);
    expect(scrape).toMatch(/^erp_sync_alerts_oldest_pending_seconds\{target="ops"\} \S+$/m);

    // The delivery hangs on the receiver; meanwhile the pipeline takes a new batch all the way.
    let delivered = false;
    const draining = drainAlerts(d).then(() => (delivered = true));
    const healthy = await w.batch('D2');
    await w.settle();
    expect(await w.state(healthy)).toBe('done');
    expect(delivered).toBe(false);

    // The receiver goes away: the attempt fails and is put off, the alert kept.
    await hanging.close();
    await draining;
    const [kept] = await outbox();
    expect(kept).toMatchObject({ target: 'ops', attempts: 1 });
    expect(kept.lastError).toMatch(/^[A-Z_]+|other side closed/);
    expect(kept.nextAttemptAt.getTime()).toBe(clock + ALERT_BACKOFF.baseMs);

    // Back on the same address: it gets the alert once its back-off is over, not before.
    const r = await receiver(hanging.port);
    await drainAlerts(d);
    expect(r.received()).toHaveLength(0);
    clock += ALERT_BACKOFF.baseMs;
    await drainAlerts(d);
    expect(r.received().map((x) => x.message.cause)).toEqual([`batch:${broken}:quarantined`]);
    expect(verifySignature(SECRET, r.received()[0]!.body, r.received()[0]!.signature, Math.floor(clock / 1000))).toBe(true);
    expect(await outbox()).toEqual([]);
    const counts = (await metrics.alertDeliveries.get()).values.map((v) => [v.labels.outcome, v.value]);
    expect(counts).toEqual([['failed', 1], ['delivered', 1]]);
  });

  it('survives a process that died before sending, or while sending: each alert arrives, once', async () => {
    const w = await world('crash');
    const first = await w.batch('C1');
    w.bad.add('C1');
    await w.settle();
    const r = await receiver();
    // Process A commits the alert and dies before delivering it.
    expect(await evaluateAlerts(deps('crash', r.url))).toEqual({ opened: 1, resolved: 0 });
    // Process B: nothing new to decide, and it delivers what A left.
    const b = deps('crash', r.url);
    expect(await evaluateAlerts(b)).toEqual({ opened: 0, resolved: 0 });
    await drainAlerts(b);
    expect(r.received().map((x) => x.message.cause)).toEqual([`batch:${first}:quarantined`]);

    // Process C takes the next announcement for sending and dies: it is sent again once C's lease is over.
    w.bad.add('C2');
    const second = await w.batch('C2');
    await w.settle();
    await evaluateAlerts(b);
    expect(await claimOutboxHead(db.ds(), 'ops', now(), new Date(clock + 40_000))).not.toBeNull();
    await drainAlerts(b);
    expect(r.received()).toHaveLength(1);
    clock += 40_000;
    await drainAlerts(b);
    expect(r.received().map((x) => x.message.cause)).toEqual([`batch:${first}:quarantined`, `batch:${second}:quarantined`]);
  });

  it('retries what a receiver could not take, drops what it refuses for good (logged), and never logs the URL or the secret', async () => {
    const w = await world('refuse');
    w.bad.add('R1');
    w.bad.add('R2');
    await w.batch('R1');
    await w.batch('R2');
    await w.settle();
    const r = await receiver();
    const log = capturingLogger();
    const url = `${r.url}/services/T000/B000/tokenInTheUrl42`;
    const d = deps('refuse', url, { logger: log.logger });
    r.failNext(503);
    await runAlerts(d);
    expect(r.received()).toHaveLength(0);
    expect(log.lines().find((l) => l.message === 'alert delivery failed; retried later')).toMatchObject({ level: 'warn', alertTarget: 'ops', error: 'HTTP 503' });
    clock += ALERT_BACKOFF.baseMs;
    r.failNext(400);
    await runAlerts(d);
    // The first was refused for good (and dropped), the second delivered behind it.
    expect(r.received()).toHaveLength(1);
    expect(log.lines().find((l) => l.message === 'alert refused by its target; dropped')).toMatchObject({ level: 'error', alertTarget: 'ops', error: 'HTTP 400' });
    expect(await outbox()).toEqual([]);
    expect(log.text()).not.toContain('tokenInTheUrl42');
    expect(log.text()).not.toContain(SECRET);
  });

  it('alerts every kind of cause from the database, to the targets that want it', async () => {
    const ds = db.ds();
    const t0 = now();
    await ds.query(`INSERT INTO companies (id, name, auth_state, auth_error) VALUES ('k-reauth', 'k', 'needs_reauth', 'invalid_grant')`);
    await ds.query(`INSERT INTO companies (id, name, last_success_at, last_discovery_error, created_at) VALUES ('k-quiet', 'k', $1, 'HTTP 503', $1)`, [new Date(clock - 3 * 3_600_000)]);
    await ds.query(`INSERT INTO companies (id, name) VALUES ('k-batches', 'k')`);
    await ds.query(
      `INSERT INTO batches (company_id, concur_batch_id, state, reconciliation) VALUES
         ('k-batches', 'FLAGGED', 'done', '{"status":"mismatch","difference":{"batch-total:EUR":"0.01"}}'),
         ('k-batches', 'SENDING', 'loaded', '{"status":"reconciled","difference":{}}')`,
    );
    await ds.query(
      `INSERT INTO deliveries (batch_row_id, sink, state, attempts, failures, failing_since, last_error)
       SELECT id, 'sftp', 'failed', 3, 3, $1, 'ECONNREFUSED' FROM batches WHERE concur_batch_id = 'SENDING'`,
      [t0],
    );
    await ds.query(`INSERT INTO sink_attention (company_id, sink, reason) VALUES ('k-batches', 'xero', 'Xero connection lacks scope accounting.payments')`);
    await ds.query(
      `INSERT INTO saferpay_closes (terminal_id, terminal_name, customer_id, business_day, request_id, state, next_attempt_at, error_name, behavior, http_status)
       VALUES ('17755555', 'shop', '123123', '2026-11-21', 'req-1', 'failed', $1, 'TERMINAL_LOCKED', 'DO_NOT_RETRY', 402)`,
      [t0],
    );
    const slack = await capturingServer();
    const d = deps('k', slack.url, {
      companies: ['k-reauth', 'k-quiet', 'k-batches'],
      alerts: { targets: [{ type: 'slack', name: 'people', url: slack.url, events: ['needs_reauth'] }, { type: 'teams', name: 'everything', url: slack.url }] },
    });
    await evaluateAlerts(d);
    const open: Array<{ kind: string; cause: string; link: string }> = await ds.query(`SELECT kind, cause, link FROM alerts ORDER BY cause`);
    expect(open.map((a) => [a.kind, a.cause.replace(/\d+/g, 'N'), a.link])).toEqual([
      ['reconciliation_mismatch', 'batch:N:mismatch', '/batches/FLAGGED'],
      ['delivery_failing', 'delivery:N:sftp', '/batches/SENDING'],
      ['not_cycling', 'not-cycling:k-quiet', '/companies/k-quiet'],
      ['needs_reauth', 'reauth:k-reauth', '/companies/k-reauth'],
      ['saferpay_close_failed', 'saferpay:N:N-N-N', '/saferpay'],
      ['needs_reauth', 'sink:k-batches:xero', '/companies/k-batches'],
    ]);
    const byTarget = await ds.query(`SELECT target, count(*)::int AS n FROM alert_outbox GROUP BY target ORDER BY target`);
    expect(byTarget).toEqual([{ target: 'everything', n: 6 }, { target: 'people', n: 2 }]);
    await drainAlerts(d);
    expect(slack.bodies.filter((b) => 'blocks' in b)).toHaveLength(2);
    expect(slack.bodies.filter((b) => b.type === 'message')).toHaveLength(6);
    const reason = (await ds.query(`SELECT reason FROM alerts WHERE kind = 'saferpay_close_failed'`))[0].reason as string;
    expect(reason).toContain('TERMINAL_LOCKED/DO_NOT_RETRY HTTP 402');
  });

  it('keeps the outbox within its bounds, dropping the oldest (logged at warn)', async () => {
    const ds = db.ds();
    await ds.query(`DELETE FROM saferpay_closes`); // not a company's: the test before left one failed
    await ds.query(`INSERT INTO companies (id, name) VALUES ('many', 'many')`);
    await ds.query(`INSERT INTO batches (company_id, concur_batch_id, state, quarantine_reason) SELECT 'many', 'M' || i, 'quarantined', 'bad file' FROM generate_series(1, 15) i`);
    const log = capturingLogger();
    const d = deps('many', 'http://127.0.0.1:9/never', { logger: log.logger, alerts: { outbox: { maxRows: 10 } } });
    expect(await evaluateAlerts(d)).toEqual({ opened: 15, resolved: 0 });
    const kept: Array<{ batch: string }> = await ds.query(`SELECT message->>'batch' AS batch FROM alert_outbox ORDER BY id`);
    expect(kept.map((k) => k.batch)).toEqual(['M6', 'M7', 'M8', 'M9', 'M10', 'M11', 'M12', 'M13', 'M14', 'M15']);
    expect(log.lines().find((l) => l.message === 'alert outbox full: the oldest undelivered alerts were dropped')).toMatchObject({ level: 'warn', dropped: 5 });
  });
});

/** A receiver of Slack / Teams bodies (no signature): keeps each body. */
async function capturingServer(): Promise<{ url: string; bodies: Array<Record<string, unknown>> }> {
  const bodies: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(text));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/capture`, bodies };
}
