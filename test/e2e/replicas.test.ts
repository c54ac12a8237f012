// Three daemons on one database: batches are claimed in PostgreSQL, so each is processed and closed once.
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, startWorld, type World } from './world.js';
import { expectSettled } from './settled.js';

describe('replicas', () => {
  let world: World | undefined;
  afterAll(() => world?.close());

  it('three processes at once: every batch done, closed once, loaded once, delivered once', async () => {
    // Two batches at a time per process, so no single process can take all the work before the others start.
    world = await startWorld({ companies: 3, concurrency: 2 });
    const runs = [0, 1, 2].map(() => runCli(world!.configPath, ['run-once']));
    const results = await Promise.all(runs.map((r) => r.done));
    for (const r of results) expect(r.code, r.output.slice(-2000)).toBe(0);
    await expectSettled(world);
    // Each batch's steps ran in exactly one process: one close_requested and one loaded event per batch.
    const events = await world.query<{ kind: string; n: number }>(
      `SELECT kind, count(*)::int AS n FROM batch_events WHERE kind IN ('close_requested', 'loaded', 'done') GROUP BY kind ORDER BY kind`,
    );
    const [{ n: batches }] = (await world.query<{ n: number }>(`SELECT count(*)::int AS n FROM batches WHERE payment_demands > 0`)) as [{ n: number }];
    expect(events).toEqual([
      { kind: 'close_requested', n: batches },
      { kind: 'done', n: batches },
      { kind: 'loaded', n: batches },
    ]);
    // The work was really shared: batches were loaded by more than one process.
    const [{ n: workers }] = (await world.query<{ n: number }>(`SELECT count(DISTINCT detail->>'worker')::int AS n FROM batch_events WHERE kind = 'loaded'`)) as [{ n: number }];
    expect(workers).toBeGreaterThan(1);
  });
});
