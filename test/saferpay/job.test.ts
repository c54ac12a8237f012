import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { openDatabase } from '../../src/db/database.js';
import { runSaferpayDue } from '../../src/saferpay/job.js';
import { registerSaferpayMetrics } from '../../src/saferpay/metrics.js';
import { renderSaferpayStatus } from '../../src/commands/saferpay.js';
import { openDayClose, saferpayStatus } from '../../src/saferpay/store.js';
import { killableHolder, useMigratedDatabase } from '../support/db.js';
import { AFTER_CLOSE_TIME, customer, dyingFetch, oneTerminal, runner, useSaferpaySandbox } from './harness.js';

const db = useMigratedDatabase();
const sandbox = useSaferpaySandbox();
const later = (ms: number) => new Date(AFTER_CLOSE_TIME.getTime() + ms);
const DAY = 24 * 3600_000;

const sent = (terminalId: string) => sandbox().requests().filter((r) => r.terminalId === terminalId);
const rows = async (terminalId: string) =>
  db.ds().query(
    `SELECT to_char(business_day, 'YYYY-MM-DD') AS day, seq, request_id AS "requestId", state, attempts, error_name AS "errorName", behavior, http_status AS "httpStatus"
     FROM saferpay_closes WHERE terminal_id = $1 ORDER BY business_day, seq`,
    [terminalId],
  );

describe('the saferpay-batch-close job', () => {
  it('closes once per business day: not before the scheduled time, once after it however often it runs, again the next day', async () => {
    const r = await runner(db, oneTerminal(sandbox()));
    r.setNow(new Date('2025-06-10T19:29:00Z'));
    await runSaferpayDue(r.deps);
    // 21:29: the latest scheduled time is yesterday's: that day's close runs (once), today's does not yet.
    expect(sandbox().counters.closes(r.terminalId)).toBe(1);
    for (const t of [AFTER_CLOSE_TIME, later(60_000), later(3 * 3600_000)]) {
      r.setNow(t);
      await runSaferpayDue(r.deps);
    }
    r.setNow(later(DAY));
    await runSaferpayDue(r.deps);
    await runSaferpayDue(r.deps);
    const all = await rows(r.terminalId);
    expect(all.map((x: { day: string; state: string }) => [x.day, x.state])).toEqual([
      ['2025-06-09', 'closed'],
      ['2025-06-10', 'closed'],
      ['2025-06-11', 'closed'],
    ]);
    expect(sandbox().counters.closes(r.terminalId)).toBe(3);
    expect(new Set(sent(r.terminalId).map((s) => s.requestId)).size).toBe(3);
    expect(sent(r.terminalId).every((s) => s.retryIndicator === 0)).toBe(true);
  });

  it('sends the RequestId committed before the first attempt (a crash between commit and send changes nothing)', async () => {
    const config = oneTerminal(sandbox());
    const r = await runner(db, config);
    const t = config.terminals[0]!;
    await openDayClose(db.ds(), { terminalId: t.terminalId, terminalName: t.terminalId, customerId: t.customerId }, '2025-06-10', 'committed-before-death', AFTER_CLOSE_TIME);
    await runSaferpayDue(r.deps);
    expect(sent(r.terminalId).map((s) => [s.requestId, s.retryIndicator])).toEqual([['committed-before-death', 0]]);
    expect(sandbox().counters.closes(r.terminalId)).toBe(1);
  });

  it.each([
    ['before the request reached Saferpay', false],
    ['after Saferpay executed it (the answer was lost)', true],
  ])('resumes a close whose runner died mid-send %s: at once, same RequestId, RetryIndicator 1, one close', async (_label, executed) => {
    const config = oneTerminal(sandbox());
    const dying = dyingFetch(executed);
    const dead = await killableHolder(db.url(), `dead-replica-${String(executed)}`);
    const runnerOfDead = await runner({ ds: db.ds, holder: async () => dead.holder }, config, { fetch: dying.fetch });
    void runSaferpayDue(runnerOfDead.deps);
    await dying.sent;

    // While its runner lives (it might still be waiting for an answer) nobody sends anything.
    const alive = await runner(db, config, { holderId: 'replica-b', now: later(30_000) });
    expect(await runSaferpayDue(alive.deps)).toEqual([]);

    // The runner's process dies (its connection drops): the close is retried at once, its lease (minutes) notwithstanding.
    await dead.kill();
    const [summary] = await runSaferpayDue(alive.deps);
    expect(summary).toMatchObject({ outcome: 'closed', attempts: 2 });
    const requests = sent(alive.terminalId);
    expect(requests.map((s) => s.retryIndicator)).toEqual(executed ? [0, 1] : [1]);
    expect(new Set(requests.map((s) => s.requestId))).toEqual(new Set([summary!.requestId]));
    expect(sandbox().counters.closes(alive.terminalId)).toBe(1);
  });

  it('a runner alive but cut off from the database loses the close when its lease runs out', async () => {
    const config = oneTerminal(sandbox());
    const dying = dyingFetch(false);
    const stuck = await runner(db, config, { holderId: 'stuck-replica', fetch: dying.fetch });
    void runSaferpayDue(stuck.deps);
    await dying.sent;
    const alive = await runner(db, config, { holderId: 'replica-c', now: later(30_000) });
    expect(await runSaferpayDue(alive.deps)).toEqual([]);
    alive.setNow(later(config.terminals[0]!.requestTimeoutMs + 61_000));
    expect((await runSaferpayDue(alive.deps))[0]).toMatchObject({ outcome: 'closed', attempts: 2 });
    expect(sandbox().counters.closes(alive.terminalId)).toBe(1);
  });

  it('two replicas on their own connections, running at once, close each terminal once', async () => {
    const other = await openDatabase({ url: db.url(), poolSize: 5 });
    try {
      const configs = Array.from({ length: 6 }, () => oneTerminal(sandbox()));
      const config = { terminals: configs.map((c) => c.terminals[0]!) };
      for (const day of [0, 1, 2]) {
        const a = await runner(db, config, { holderId: 'replica-a', now: later(day * DAY) });
        const b = await runner(db, config, { ds: other, holderId: 'replica-b', now: later(day * DAY) });
        const [ra, rb] = await Promise.all([runSaferpayDue(a.deps), runSaferpayDue(b.deps), runSaferpayDue(a.deps), runSaferpayDue(b.deps)]);
        expect(ra!.length + rb!.length).toBeLessThanOrEqual(6);
      }
      for (const t of config.terminals) {
        expect(sandbox().counters.closes(t.terminalId)).toBe(3);
        expect(sent(t.terminalId)).toHaveLength(3);
      }
    } finally {
      await other.destroy();
    }
  });

  it('a timeout after Saferpay executed the close: the retry (RetryIndicator 1) is answered as the first, nothing closes twice', async () => {
    const r = await runner(db, oneTerminal(sandbox(), { requestTimeoutMs: 250 }));
    sandbox().controls.setFaults({ rate: 0, slowMs: 1_500 });
    sandbox().controls.failNext('slow');
    const [summary] = await runSaferpayDue(r.deps);
    expect(summary).toMatchObject({ outcome: 'closed', attempts: 2 });
    expect(sent(r.terminalId).map((s) => [s.retryIndicator, s.executed])).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(sandbox().counters.closes(r.terminalId)).toBe(1);
    expect(r.sleeps).toHaveLength(1);
    expect(r.log.text()).toMatch(/"noAnswer":"timeout"/);
  });

  it('a dropped connection after execution is retried under the same RequestId without a second close', async () => {
    const r = await runner(db, oneTerminal(sandbox()));
    sandbox().controls.failNext('drop');
    const [summary] = await runSaferpayDue(r.deps);
    expect(summary).toMatchObject({ outcome: 'closed', attempts: 2 });
    expect(new Set(sent(r.terminalId).map((s) => s.requestId)).size).toBe(1);
    expect(sandbox().counters.closes(r.terminalId)).toBe(1);
  });

  it('Behavior RETRY: retried soon, in the same run, with RetryIndicator raised and the error recorded until success', async () => {
    const r = await runner(db, oneTerminal(sandbox()));
    sandbox().controls.failNext({ status: 500, errorName: 'INTERNAL_ERROR', behavior: 'RETRY' }, 'internal-500');
    const [summary] = await runSaferpayDue(r.deps);
    expect(summary).toMatchObject({ outcome: 'closed', attempts: 3 });
    expect(sent(r.terminalId).map((s) => [s.retryIndicator, s.status])).toEqual([
      [0, 500],
      [1, 500],
      [2, 200],
    ]);
    // Back-off from soonDelayMs (10 s): 1st retry in [5, 10] s, 2nd in [10, 20] s.
    expect(r.sleeps).toEqual([7_500, 15_000]);
  });

  it('Behavior RETRY_LATER: the next attempt is scheduled in the database; nothing is sent before then', async () => {
    const config = oneTerminal(sandbox());
    const r = await runner(db, config);
    sandbox().controls.failNext({ status: 402, errorName: 'ACTION_NOT_POSSIBLE_YET', behavior: 'RETRY_LATER' });
    expect((await runSaferpayDue(r.deps))[0]).toMatchObject({ outcome: 'pending', attempts: 1 });
    expect(await rows(r.terminalId)).toMatchObject([{ state: 'pending', errorName: 'ACTION_NOT_POSSIBLE_YET', behavior: 'RETRY_LATER', httpStatus: 402 }]);
    r.setNow(later(config.terminals[0]!.retry.laterDelayMs - 1_000));
    expect(await runSaferpayDue(r.deps)).toEqual([]);
    expect(sent(r.terminalId)).toHaveLength(1);
    r.setNow(later(config.terminals[0]!.retry.laterDelayMs));
    expect((await runSaferpayDue(r.deps))[0]).toMatchObject({ outcome: 'closed', attempts: 2 });
    expect(sent(r.terminalId).map((s) => s.retryIndicator)).toEqual([0, 1]);
    expect(r.sleeps).toEqual([]);
  });

  it.each(['DO_NOT_RETRY', 'ABORT', 'OTHER_MEANS', 'NEW_BEHAVIOR'])('Behavior %s: stops after one send, records ErrorName and Behavior, alerts, never sends again', async (behavior) => {
    const r = await runner(db, oneTerminal(sandbox()));
    sandbox().controls.failNext({ status: 402, errorName: 'TERMINAL_LOCKED', behavior });
    expect((await runSaferpayDue(r.deps))[0]).toMatchObject({ outcome: 'failed', attempts: 1 });
    r.setNow(later(3600_000));
    expect(await runSaferpayDue(r.deps)).toEqual([]);
    expect(sent(r.terminalId)).toHaveLength(1);
    expect(sandbox().counters.closes(r.terminalId)).toBe(0);
    expect(await rows(r.terminalId)).toMatchObject([{ state: 'failed', errorName: 'TERMINAL_LOCKED', behavior, httpStatus: 402 }]);
    expect(r.log.text()).toMatch(/"level":"error".*needs a person/);
  });

  it("keeps what Saferpay said about a failed close (ErrorName, Behavior, ErrorMessage, ErrorDetail, HTTP status) for status, the report view, /metrics and the alert", async () => {
    const config = oneTerminal(sandbox(), { name: 'shop-bern' });
    const r = await runner(db, config);
    const said = { status: 402, errorName: 'TERMINAL_LOCKED', behavior: 'DO_NOT_RETRY', message: 'Das Terminal ist gesperrt', details: ['Terminal locked by support', 'Ticket 4711'] };
    sandbox().controls.failNext(said);
    expect((await runSaferpayDue(r.deps))[0]).toMatchObject({ outcome: 'failed' });
    const status = (await saferpayStatus(db.ds())).find((s) => s.terminalId === r.terminalId)!;
    expect(status).toMatchObject({ outcome: 'failed', errorName: 'TERMINAL_LOCKED', behavior: 'DO_NOT_RETRY', httpStatus: 402, errorMessage: 'Das Terminal ist gesperrt', errorDetail: ['Terminal locked by support', 'Ticket 4711'] });
    expect(renderSaferpayStatus([status])).toContain('TERMINAL_LOCKED/DO_NOT_RETRY HTTP 402: Das Terminal ist gesperrt (Terminal locked by support; Ticket 4711)');
    const [view] = await db.ds().query(`SELECT error_name, behavior, http_status, error_message, error_detail FROM reporting.saferpay_closes WHERE terminal_id = $1`, [r.terminalId]);
    expect(view).toEqual({ error_name: 'TERMINAL_LOCKED', behavior: 'DO_NOT_RETRY', http_status: 402, error_message: 'Das Terminal ist gesperrt', error_detail: ['Terminal locked by support', 'Ticket 4711'] });
    const registry = new Registry();
    registerSaferpayMetrics(registry, db.ds());
    expect(await registry.metrics()).toContain('erp_sync_saferpay_last_close{terminal="shop-bern",outcome="failed",error_name="TERMINAL_LOCKED",behavior="DO_NOT_RETRY",http_status="402"} 1');
    const alerts = r.log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'error');
    expect(alerts).toMatchObject([{ alert: true, errorName: 'TERMINAL_LOCKED', behavior: 'DO_NOT_RETRY', status: 402, errorMessage: 'Das Terminal ist gesperrt', errorDetail: ['Terminal locked by support', 'Ticket 4711'] }]);
  });

  it('an "already closed" answer (the Backoffice or the automatic closure closed first) is recorded as such and alerts once', async () => {
    const r = await runner(db, oneTerminal(sandbox()));
    sandbox().controls.closeElsewhere(r.terminalId);
    expect((await runSaferpayDue(r.deps))[0]).toMatchObject({ outcome: 'already-closed', attempts: 1 });
    expect(sandbox().counters.closes(r.terminalId)).toBe(0);
    expect(await rows(r.terminalId)).toMatchObject([{ state: 'already-closed', errorName: 'BATCH_ALREADY_CLOSED', behavior: 'DO_NOT_RETRY', httpStatus: 402 }]);
    r.setNow(later(3600_000));
    expect(await runSaferpayDue(r.deps)).toEqual([]);
    expect(sent(r.terminalId)).toHaveLength(1);
    const alerts = r.log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'error');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ alert: true, outcome: 'already-closed', errorMessage: 'The batch is already closed' });
    expect(alerts[0]!.message).toMatch(/already closed by someone else \(Backoffice or automatic closure\); erp-sync did not close it/);
    const status = (await saferpayStatus(db.ds())).find((s) => s.terminalId === r.terminalId)!;
    expect(renderSaferpayStatus([status])).toMatch(/already-closed\s+1\s+\S+\s+BATCH_ALREADY_CLOSED\/DO_NOT_RETRY HTTP 402: The batch is already closed/);
    // The next business day closes as usual.
    r.setNow(later(24 * 3600_000));
    expect((await runSaferpayDue(r.deps))[0]).toMatchObject({ outcome: 'closed' });
  });

  it('401 (a wrong password) is a configuration error, and the password never reaches the log', async () => {
    const r = await runner(db, oneTerminal(sandbox(), { password: 'wrong-password-42' }));
    expect((await runSaferpayDue(r.deps))[0]).toMatchObject({ outcome: 'config-error', attempts: 1 });
    expect(r.log.text()).toMatch(/configuration error/);
    expect(r.log.text()).not.toContain('wrong-password-42');
  });

  it('a firewall page (403, not JSON) is an error logged with its status and first bytes; a proxy 502 page is retried', async () => {
    const r = await runner(db, oneTerminal(sandbox()));
    sandbox().controls.failNext('firewall-403');
    expect((await runSaferpayDue(r.deps))[0]).toMatchObject({ outcome: 'failed' });
    const alert = r.log.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.level === 'error');
    expect(alert).toMatchObject({ status: 403, contentType: 'text/html' });
    expect(alert?.bodyStart).toMatch(/^<!DOCTYPE html><html><head><title>403 Forbidden/);
    expect(await rows(r.terminalId)).toMatchObject([{ state: 'failed', httpStatus: 403, errorName: null }]);

    const p = await runner(db, oneTerminal(sandbox()));
    sandbox().controls.failNext('proxy-502');
    expect((await runSaferpayDue(p.deps))[0]).toMatchObject({ outcome: 'closed', attempts: 2 });
    expect(p.log.text()).toMatch(/"status":502/);
  });

  it('gives up after RetryIndicator 9 (ten sends of one RequestId)', async () => {
    const r = await runner(db, oneTerminal(sandbox(), { retry: { soonAttempts: 9 } }));
    sandbox().controls.failNext(...Array.from({ length: 10 }, () => 'internal-500' as const));
    expect((await runSaferpayDue(r.deps))[0]).toMatchObject({ outcome: 'failed', attempts: 10 });
    expect(sent(r.terminalId).map((s) => s.retryIndicator)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    r.setNow(later(DAY - 120_000));
    expect(await runSaferpayDue(r.deps)).toEqual([]);
  });

  it('shows every close in status, in reporting.saferpay_closes and on /metrics', async () => {
    const config = oneTerminal(sandbox(), { name: 'shop-zurich' });
    const r = await runner(db, config);
    await runSaferpayDue(r.deps);
    const status = (await saferpayStatus(db.ds())).find((s) => s.terminalId === r.terminalId);
    expect(status).toMatchObject({ terminalName: 'shop-zurich', businessDay: '2025-06-10', outcome: 'closed', attempts: 1, lastClosedAt: '2025-06-10T19:31:00Z' });
    const view = await db.ds().query(`SELECT * FROM reporting.saferpay_closes WHERE terminal_id = $1`, [r.terminalId]);
    expect(view).toMatchObject([{ terminal_name: 'shop-zurich', outcome: 'closed', attempts: 1, last_retry_indicator: 0, customer_id: customer.customerId }]);
    const registry = new Registry();
    registerSaferpayMetrics(registry, db.ds());
    const text = await registry.metrics();
    expect(text).toContain('erp_sync_saferpay_last_close{terminal="shop-zurich",outcome="closed",error_name="",behavior="",http_status="200"} 1');
    expect(text).toContain(`erp_sync_saferpay_last_closed_timestamp_seconds{terminal="shop-zurich"} ${AFTER_CLOSE_TIME.getTime() / 1000}`);
  });
});
