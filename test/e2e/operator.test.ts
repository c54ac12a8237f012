// Operator actions on one batch: retry a quarantined batch after fixing the cause, replay a delivery.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addCsvBatch, dropContents, runCli, startWorld, type World } from './world.js';

describe('operator actions', () => {
  let world: World | undefined;
  afterAll(() => world?.close());

  it('retry takes a quarantined batch up again after the fix; replay delivers a batch again', async () => {
    world = await startWorld();
    // The list says 999.00 but the file sums to 132.80: a reconciliation mismatch, quarantined by default.
    const added = addCsvBatch(world, 'Mismatch', [
      'E1001;Ana Lima;R1;Trip;1;02.11.2026;Hotel;Night;Hotel Nord;6120;120,50;EUR',
      'E1001;Ana Lima;R1;Trip;2;03.11.2026;Taxi;Airport;Cab;6150;12,30;EUR',
    ], '999.00');
    const ref = `c0001/${added.id}`;
    expect((await runCli(world.configPath, ['run-once']).done).code).toBe(1);
    const state = async () => (await world!.query<{ state: string; reconciliation: { status: string } | null }>(`SELECT state, reconciliation FROM batches WHERE concur_batch_id = $1`, [added.id]))[0]!;
    expect((await state()).state).toBe('quarantined');

    // Retrying without a fix quarantines it again (and says so with exit 1).
    expect((await runCli(world.configPath, ['retry', ref]).done).code).toBe(1);
    expect((await state()).state).toBe('quarantined');

    // The fix: the accountant accepts flagged mismatches for this company.
    const config = JSON.parse(readFileSync(world.configPath, 'utf8'));
    config.companies[0].reconciliation = { policy: 'load-and-flag' };
    writeFileSync(world.configPath, JSON.stringify(config));
    const retried = await runCli(world.configPath, ['retry', ref]).done;
    expect(retried.code, retried.output.slice(-2000)).toBe(0);
    expect(retried.output).toContain(`${ref}: done`);
    expect(await state()).toMatchObject({ state: 'done', reconciliation: { status: 'mismatch' } });
    const [{ n }] = (await world.query<{ n: number }>(`SELECT count(*)::int AS n FROM transactions t JOIN batches b ON b.id = t.batch_row_id WHERE b.concur_batch_id = $1`, [added.id])) as [{ n: number }];
    expect(n).toBe(2);

    // Someone deletes the delivered files from the drop; replay puts back exactly the same bytes.
    const before = dropContents(world.dropRoot);
    const mine = [...before.keys()].filter((p) => p.includes(added.id));
    expect(mine.length).toBeGreaterThan(0);
    for (const p of mine) rmSync(join(world.dropRoot, p));
    const replayed = await runCli(world.configPath, ['replay', ref]).done;
    expect(replayed.code, replayed.output.slice(-2000)).toBe(0);
    expect(Object.fromEntries(dropContents(world.dropRoot))).toEqual(Object.fromEntries(before));
    const events = await world.query<{ kind: string }>(`SELECT e.kind FROM batch_events e JOIN batches b ON b.id = e.batch_row_id WHERE b.concur_batch_id = $1 AND e.kind IN ('requeued', 'replay_requested') ORDER BY e.id`, [added.id]);
    expect(events.map((e) => e.kind)).toEqual(['requeued', 'requeued', 'replay_requested']);
  });
});
