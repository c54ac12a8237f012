// The metrics the dashboard and alert rules read: database-backed gauges (the same on every replica) and the
// cycle duration measured on the injected clock.
import { describe, expect, it } from 'vitest';
import { useMigratedDatabase, quietLogger } from '../support/db.js';
import { createMetrics, registerDatabaseMetrics } from '../../src/metrics.js';
import { Daemon } from '../../src/daemon.js';
import { Worker } from '../../src/pipeline/worker.js';
import { CompanySchema } from '../../src/config/schema.js';
import type { Policy } from '../../src/pipeline/machine.js';

const db = useMigratedDatabase();

async function sample(metrics: ReturnType<typeof createMetrics>, name: string): Promise<Array<{ labels: Record<string, unknown>; value: number; metricName?: string }>> {
  const m = metrics.registry.getSingleMetric(name);
  if (!m) throw new Error(`no metric ${name}`);
  return (await m.get()).values as never;
}

describe('metrics', () => {
  it('reports each company\'s last successful cycle, the age of its oldest open batch and its failing deliveries from the database', async () => {
    const ds = db.ds();
    await ds.query(`INSERT INTO companies (id, name, last_success_at) VALUES ('busy', 'busy', '2026-11-22T10:00:00Z'), ('idle', 'idle', NULL)`);
    await ds.query(
      `INSERT INTO batches (company_id, concur_batch_id, state, created_at) VALUES
         ('busy', 'B1', 'fetched', now() - interval '2 hours'), ('busy', 'B2', 'discovered', now() - interval '5 minutes'),
         ('busy', 'B0', 'done', now() - interval '3 days'), ('idle', 'B9', 'quarantined', now() - interval '3 days')`,
    );
    // Failed deliveries count while their batch is in the pipeline; a done batch's old failure does not.
    await ds.query(
      `INSERT INTO deliveries (batch_row_id, sink, state, attempts) SELECT id, 'sftp', 'failed', 2 FROM batches WHERE concur_batch_id IN ('B1', 'B2', 'B0')`,
    );
    const metrics = createMetrics();
    registerDatabaseMetrics(metrics.registry, ds);

    expect(await sample(metrics, 'erp_sync_deliveries_failing')).toEqual([expect.objectContaining({ labels: { company: 'busy', sink: 'sftp' }, value: 2 })]);
    expect(await sample(metrics, 'erp_sync_last_successful_cycle_timestamp_seconds')).toEqual([
      expect.objectContaining({ labels: { company: 'busy' }, value: Date.parse('2026-11-22T10:00:00Z') / 1000 }),
    ]);
    const age = Object.fromEntries((await sample(metrics, 'erp_sync_queue_age_seconds')).map((s) => [s.labels.company, s.value]));
    // The oldest open batch counts; done and quarantined batches are not in the queue.
    expect(age.busy).toBeGreaterThanOrEqual(7200);
    expect(age.busy).toBeLessThan(3 * 86400);
    expect(age.idle).toBe(0);
    expect(await metrics.registry.metrics()).toMatch(/^erp_sync_queue_age_seconds\{company="idle"\} 0$/m);
  });

  it('observes the cycle duration on the injected clock, by outcome', async () => {
    const company = CompanySchema.parse({ id: 'timed' });
    await db.ds().query(`INSERT INTO companies (id, name) VALUES ('timed', 'timed')`);
    let now = new Date('2026-11-22T10:30:00Z');
    let fail = false;
    const client = {
      listBatches: async () => {
        now = new Date(now.getTime() + 2_500); // listing takes 2.5 s on the daemon's clock
        if (fail) throw new Error('Concur unreachable');
        return [];
      },
    };
    const metrics = createMetrics();
    const worker = new Worker({ ds: db.ds(), handlers: {} as never, companies: [company], policyFor: () => ({}) as Policy, holder: await db.holder('w'), maxUnfinishedStarts: 3, now: () => now, logger: quietLogger, leaseMs: 60_000, globalConcurrency: 1, perCompanyConcurrency: 1 });
    const daemon = new Daemon({ ds: db.ds(), companies: [company], worker, holder: await db.holder('w'), clientFor: () => client, now: () => now, logger: quietLogger, metrics, pollMs: 1_000, leaseMs: 60_000 });

    expect(await daemon.discoverIfDue(company, true)).toEqual({ outcome: 'done' });
    fail = true;
    expect(await daemon.discoverIfDue(company, true)).toMatchObject({ outcome: 'failed' });

    const text = await metrics.registry.metrics();
    // Two listings (open and closed batches) of 2.5 s each: 5 s per cycle.
    expect(text).toMatch(/^erp_sync_cycle_duration_seconds_sum\{outcome="done"\} 5$/m);
    expect(text).toMatch(/^erp_sync_cycle_duration_seconds_count\{outcome="done"\} 1$/m);
    expect(text).toMatch(/^erp_sync_cycle_duration_seconds_count\{outcome="failed"\} 1$/m);
  });
});
