// What a newcomer does in the first hour against a running setup: change the close schedule, read status, name
// batches by a prefix of Concur's id, replay to a sink that does not exist, read the exceptions report.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { addCsvBatch, runCli, startWorld, type World } from './world.js';

describe('a newcomer changing the configuration of known batches', () => {
  let world: World | undefined;
  afterAll(() => world?.close());

  it('recomputes due-ness from the current configuration, says what waits and why, and names batches as Concur does', async () => {
    world = await startWorld();
    const setClose = (schedule: string) => {
      const config = JSON.parse(readFileSync(world!.configPath, 'utf8'));
      config.companies[0].concur.close.schedule = schedule;
      writeFileSync(world!.configPath, JSON.stringify(config));
    };
    const states = async () => (await world!.query<{ state: string }>(`SELECT state FROM batches ORDER BY state`)).map((r) => r.state);

    // A close window far away: the batches are discovered and wait for it.
    setClose('0 0 1 1 *');
    const first = await runCli(world.configPath, ['run-once']).done;
    expect(first.code, first.output.slice(-2000)).toBe(0);
    expect(await states()).toEqual(['discovered', 'discovered', 'discovered', 'discovered', 'discovered']);
    const status = await runCli(world.configPath, ['status']).done;
    expect(status.code).toBe(0);
    expect(status.output).toContain('NEXT DUE (UTC), WHY');
    expect(status.output.match(/20\d\d-01-01 00:00:00Z, close window: close\.schedule "0 0 1 1 \*" \(UTC\)/g)).toHaveLength(4);
    expect(status.output).toMatch(/empty: no reports yet \(Count 0\)/);

    // The schedule becomes "immediate": the known batches are due now, not on January 1st; said once.
    setClose('immediate');
    const second = await runCli(world.configPath, ['run-once']).done;
    expect(second.code, second.output.slice(-2000)).toBe(0);
    expect(second.output.match(/the configuration changed: waiting batches rescheduled/g)).toHaveLength(1);
    expect(await states()).toEqual(['discovered', 'done', 'done', 'done', 'done']);
    const third = await runCli(world.configPath, ['run-once']).done;
    expect(third.output).not.toMatch(/waiting batches rescheduled/);

    // <batch> is an unambiguous prefix of Concur's id; an unknown sink is a usage error naming the configured ones.
    const [{ concur_batch_id: id }] = (await world.query<{ concur_batch_id: string }>(`SELECT concur_batch_id FROM batches WHERE state = 'done' ORDER BY id LIMIT 1`)) as [{ concur_batch_id: string }];
    const prefix = id.slice(0, 12);
    const unknownSink = await runCli(world.configPath, ['replay', prefix, '--sink', 'nonexistent']).done;
    expect(unknownSink.code, unknownSink.output.slice(-2000)).toBe(2);
    expect(unknownSink.output).toContain('company c0001 has no sink "nonexistent" (configured: sftp)');
    const replayed = await runCli(world.configPath, ['replay', prefix, '--sink', 'sftp']).done;
    expect(replayed.code, replayed.output.slice(-2000)).toBe(0);
    expect(replayed.output).toContain(`c0001/${id}: done`);

    // The exceptions report names a quarantined batch by Concur's id.
    const bad = addCsvBatch(world, 'Mismatch', ['E1001;Ana Lima;R1;Trip;1;02.11.2026;Hotel;Night;Hotel Nord;6120;120,50;EUR'], '999.00');
    expect((await runCli(world.configPath, ['run-once']).done).code).toBe(1);
    const report = await runCli(world.configPath, ['report', 'exceptions', '--json']).done;
    expect(report.code).toBe(0);
    const rows = JSON.parse(report.output.slice(report.output.indexOf('['))) as Array<{ kind: string; batch_id: string }>;
    expect(rows.filter((r) => r.kind === 'quarantined').map((r) => r.batch_id)).toEqual([bad.id]);
  }, 300_000); // eight CLI runs, each a fresh Node.js process
});
