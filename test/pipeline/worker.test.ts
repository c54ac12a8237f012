import { describe, expect, it } from 'vitest';
import { useMigratedDatabase, quietLogger } from '../support/db.js';
import { Worker, type StepHandlers } from '../../src/pipeline/worker.js';
import { upsertDiscovered, applyTransition, claimDue, LostClaimError } from '../../src/store/batches.js';
import { CompanySchema } from '../../src/config/schema.js';
import { testPolicy } from './policy.js';

const db = useMigratedDatabase();
const policy = testPolicy({ backoff: { baseMs: 1_000, maxMs: 60_000, maxAttempts: 3 }, closeWatchIntervalMs: 0, random: () => 0.5 });

function countingHandlers(calls: Map<string, number>): StepHandlers {
  const hit = (step: string, id: string) => calls.set(`${step}:${id}`, (calls.get(`${step}:${id}`) ?? 0) + 1);
  return {
    close: async ({ batch }) => (hit('close', batch.concurBatchId), { kind: 'close_accepted', jobQueueKey: null }),
    watch_close: async ({ batch }) => (hit('watch_close', batch.concurBatchId), { kind: 'seen_closed' }),
    get_file_url: async ({ batch }) => (hit('get_file_url', batch.concurBatchId), { kind: 'file_url', url: `https://x/${batch.concurBatchId}/file` }),
    fetch: async ({ batch }) => (hit('fetch', batch.concurBatchId), { kind: 'fetched', fileId: '0', sha256: 'x', size: 1 }),
    load: async ({ batch }) => (hit('load', batch.concurBatchId), { kind: 'loaded', rows: 1, replaced: 0, reconciliation: { status: 'reconciled', rows: 1, totals: {}, difference: {}, checks: [], warnings: [] } }),
    deliver: async ({ batch }) => (hit('deliver', batch.concurBatchId), { kind: 'delivered', sinks: ['sftp'] }),
  };
}

async function seed(companyId: string, n: number, now: Date) {
  await db.ds().query(`INSERT INTO companies (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [companyId]);
  for (let i = 0; i < n; i++) {
    await upsertDiscovered(db.ds(), {
      companyId, concurBatchId: `B${i}`, name: `Batch ${i}`, batchUrl: `https://x/v1.1/batch/e$${i}`, type: 'Employee',
      paymentMethod: 'Expense Pay by SAP Concur', currency: 'EUR', batchTotal: '10.00', paymentDemands: 1,
      state: 'discovered', nextAttemptAt: now, stateData: { firstSeenAt: new Date(now.getTime() - 3_600_000).toISOString() },
    });
  }
}

describe('worker', () => {
  it('three workers on one database run every step of every batch exactly once', async () => {
    const now = new Date('2026-11-22T10:00:00Z');
    await seed('replicas', 12, now);
    const company = CompanySchema.parse({ id: 'replicas', concur: { close: { schedule: '* * * * *' } } });
    const calls = new Map<string, number>();
    const workers = await Promise.all(['w1', 'w2', 'w3'].map(
      async (id) => new Worker({
        ds: db.ds(), handlers: countingHandlers(calls), companies: [company], policyFor: () => policy, holder: await db.holder(id),
        now: () => now, logger: quietLogger, leaseMs: 60_000, globalConcurrency: 3, perCompanyConcurrency: 12, maxUnfinishedStarts: 3,
      }),
    ));
    for (let round = 0; round < 10; round++) {
      await Promise.all(workers.map((w) => w.tick()));
      await Promise.all(workers.map((w) => w.drain()));
    }
    const states = await db.ds().query(`SELECT state, count(*)::int AS n FROM batches WHERE company_id = 'replicas' GROUP BY state`);
    expect(states).toEqual([{ state: 'done', n: 12 }]);
    for (let i = 0; i < 12; i++) {
      for (const step of ['close', 'watch_close', 'get_file_url', 'fetch', 'load', 'deliver']) expect(calls.get(`${step}:B${i}`), `${step}:B${i}`).toBe(1);
    }
    const [{ n: events }] = await db.ds().query(`SELECT count(*)::int AS n FROM batch_events e JOIN batches b ON b.id = e.batch_row_id WHERE b.company_id = 'replicas' AND e.kind = 'close_requested'`);
    expect(events).toBe(12);
  });

  it('respects the per-company concurrency limit when claiming', async () => {
    const now = new Date('2026-11-22T10:00:00Z');
    await seed('limited', 5, now);
    const first = await claimDue(db.ds(), { holder: await db.holder('a'), now, leaseMs: 60_000, limit: 10, perCompany: 2, companies: ['limited'] });
    expect(first).toHaveLength(2);
    const second = await claimDue(db.ds(), { holder: await db.holder('b'), now, leaseMs: 60_000, limit: 10, perCompany: 2, companies: ['limited'] });
    expect(second).toHaveLength(0);
    const afterLease = await claimDue(db.ds(), { holder: await db.holder('b'), now: new Date(now.getTime() + 61_000), leaseMs: 60_000, limit: 10, perCompany: 2, companies: ['limited'] });
    expect(afterLease).toHaveLength(2);
  });

  it('fences a worker whose lease was taken over', async () => {
    const now = new Date('2026-11-22T10:00:00Z');
    await seed('fenced', 1, now);
    const [mine] = await claimDue(db.ds(), { holder: await db.holder('slow'), now, leaseMs: 1_000, limit: 1, perCompany: 1, companies: ['fenced'] });
    const [theirs] = await claimDue(db.ds(), { holder: await db.holder('fast'), now: new Date(now.getTime() + 2_000), leaseMs: 60_000, limit: 1, perCompany: 1, companies: ['fenced'] });
    expect(theirs!.id).toBe(mine!.id);
    const t = { state: 'closing', event: 'close_requested', detail: {}, nextAttemptAt: now, attempts: 0, lastError: null, set: {} } as const;
    await expect(applyTransition(db.ds(), mine!, await db.holder('slow'), t, 'close')).rejects.toBeInstanceOf(LostClaimError);
    await expect(applyTransition(db.ds(), theirs!, await db.holder('fast'), t, 'close')).resolves.toBeUndefined();
  });

  it('retries with back-off on the injected clock and quarantines after the bound', async () => {
    let now = new Date('2026-11-22T10:00:00Z');
    await seed('flaky', 1, now);
    const company = CompanySchema.parse({ id: 'flaky', concur: { close: { schedule: '* * * * *' } } });
    const handlers = countingHandlers(new Map());
    let fetches = 0;
    handlers.fetch = async () => {
      fetches++;
      throw Object.assign(new Error('connection reset'), { retryable: true, kind: 'network' });
    };
    const w = new Worker({ ds: db.ds(), handlers, companies: [company], policyFor: () => policy, holder: await db.holder('w'), now: () => now, logger: quietLogger, leaseMs: 60_000, globalConcurrency: 1, perCompanyConcurrency: 1, maxUnfinishedStarts: 3 });
    await w.tick();
    await w.drain();
    expect(fetches).toBe(1);
    await w.tick(); // not due yet: the back-off holds it
    await w.drain();
    expect(fetches).toBe(1);
    for (let i = 0; i < 5; i++) {
      now = new Date(now.getTime() + 60 * 60_000);
      await w.tick();
      await w.drain();
    }
    expect(fetches).toBe(3);
    const [row] = await db.ds().query(`SELECT state, quarantine_reason FROM batches WHERE company_id = 'flaky'`);
    expect(row).toEqual({ state: 'quarantined', quarantine_reason: 'fetch failed 3 times; last: connection reset' });
  });

  it('a step begun N times without finishing quarantines its batch, without running the step again', async () => {
    const now = new Date('2026-11-22T10:00:00Z');
    await seed('poison', 1, now);
    await db.ds().query(`UPDATE batches SET state = 'fetched', step_started = 'load', step_starts = 3 WHERE company_id = 'poison'`);
    const company = CompanySchema.parse({ id: 'poison', concur: { close: { schedule: '* * * * *' } } });
    const calls = new Map<string, number>();
    const w = new Worker({ ds: db.ds(), handlers: countingHandlers(calls), companies: [company], policyFor: () => policy, holder: await db.holder('p'), now: () => now, logger: quietLogger, leaseMs: 60_000, globalConcurrency: 2, perCompanyConcurrency: 2, maxUnfinishedStarts: 3 });
    await w.tick();
    await w.drain();
    expect(calls.size).toBe(0);
    const [row] = await db.ds().query(`SELECT state, quarantine_reason FROM batches WHERE company_id = 'poison'`);
    expect(row).toEqual({ state: 'quarantined', quarantine_reason: 'step load did not finish in 3 attempts (the process stopped each time)' });
  });

  it('counts each start before the step runs and clears the count with the transition', async () => {
    const now = new Date('2026-11-22T10:00:00Z');
    await seed('counted', 1, now);
    await db.ds().query(`UPDATE batches SET state = 'fetched' WHERE company_id = 'counted'`);
    const company = CompanySchema.parse({ id: 'counted', concur: { close: { schedule: '* * * * *' } } });
    const seen: unknown[] = [];
    const handlers = countingHandlers(new Map());
    handlers.load = async ({ batch }) => {
      seen.push(...(await db.ds().query(`SELECT step_started, step_starts FROM batches WHERE id = $1`, [batch.id])));
      throw Object.assign(new Error('database went away'), { retryable: true, kind: 'network' });
    };
    const w = new Worker({ ds: db.ds(), handlers, companies: [company], policyFor: () => policy, holder: await db.holder('c'), now: () => now, logger: quietLogger, leaseMs: 60_000, globalConcurrency: 1, perCompanyConcurrency: 1, maxUnfinishedStarts: 3 });
    await w.tick();
    await w.drain();
    expect(seen).toEqual([{ step_started: 'load', step_starts: 1 }]);
    expect(await db.ds().query(`SELECT step_started, step_starts FROM batches WHERE company_id = 'counted'`)).toEqual([{ step_started: null, step_starts: 0 }]);
  });

  it('counts each step it goes on to once, with the transition before it, and releases the claim with the last', async () => {
    const now = new Date('2026-11-22T10:00:00Z');
    await seed('chained', 1, now);
    const company = CompanySchema.parse({ id: 'chained', concur: { close: { schedule: '* * * * *' } } });
    const seen: unknown[] = [];
    const handlers = countingHandlers(new Map());
    for (const step of ['close', 'watch_close', 'get_file_url', 'fetch', 'load', 'deliver'] as const) {
      const run = handlers[step];
      handlers[step] = async (ctx) => {
        const [row] = await db.ds().query(`SELECT step_started, step_starts FROM batches WHERE id = $1`, [ctx.batch.id]);
        seen.push({ step, ...row });
        return run(ctx);
      };
    }
    const w = new Worker({ ds: db.ds(), handlers, companies: [company], policyFor: () => policy, holder: await db.holder('chain'), now: () => now, logger: quietLogger, leaseMs: 60_000, globalConcurrency: 1, perCompanyConcurrency: 1, maxUnfinishedStarts: 1 });
    await w.tick();
    await w.drain();
    expect(seen).toEqual(['close', 'watch_close', 'get_file_url', 'fetch', 'load', 'deliver'].map((step) => ({ step, step_started: step, step_starts: 1 })));
    expect(await db.ds().query(`SELECT state, step_started, step_starts FROM batches WHERE company_id = 'chained'`)).toEqual([{ state: 'done', step_started: null, step_starts: 0 }]);
    expect(await db.ds().query(`SELECT count(*)::int AS n FROM claims c JOIN batches b ON c.kind = 'batch' AND c.key = b.id::text WHERE b.company_id = 'chained'`)).toEqual([{ n: 0 }]);
  });

  it('runs a batch whose step was interrupted before alone, so a second crash cannot take others with it', async () => {
    const now = new Date('2026-11-22T10:00:00Z');
    await seed('alone', 3, now);
    await db.ds().query(`UPDATE batches SET state = 'fetched' WHERE company_id = 'alone'`);
    await db.ds().query(`UPDATE batches SET step_started = 'load', step_starts = 1 WHERE company_id = 'alone' AND concur_batch_id = 'B2'`);
    const company = CompanySchema.parse({ id: 'alone', concur: { close: { schedule: '* * * * *' } } });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const running: string[] = [];
    const handlers = countingHandlers(new Map());
    handlers.load = async ({ batch }) => {
      running.push(batch.concurBatchId);
      if (batch.concurBatchId === 'B2') await gate;
      return { kind: 'loaded', rows: 1, replaced: 0, reconciliation: { status: 'reconciled', rows: 1, totals: {}, difference: {}, checks: [], warnings: [] } };
    };
    const w = new Worker({ ds: db.ds(), handlers, companies: [company], policyFor: () => policy, holder: await db.holder('alone'), now: () => now, logger: quietLogger, leaseMs: 60_000, globalConcurrency: 3, perCompanyConcurrency: 3, maxUnfinishedStarts: 3 });
    expect(await w.tick()).toBe(1);
    expect(await w.tick()).toBe(0); // nothing beside it while it runs
    open();
    await w.drain();
    expect(await w.tick()).toBe(2);
    await w.drain();
    expect(running[0]).toBe('B2');
    expect(running.slice(1).sort()).toEqual(['B0', 'B1']);
  });
});
