// Bad data never stops the daemon: the batch is quarantined with its original bytes kept, the error names the
// file, line and field, and the other batches go on.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addCsvBatch, runCli, startWorld, type World } from './world.js';

describe('a batch with a bad file', () => {
  let world: World | undefined;
  afterAll(() => world?.close());

  it('is quarantined with a clear reason and its original bytes, while the other batches complete', async () => {
    world = await startWorld();
    const { bytes, sha256 } = addCsvBatch(world, 'Broken export', [
      'E1001;Ana Lima;R1;Trip;1;02.11.2026;Hotel;Night;Hotel Nord;6120;120,50;EUR',
      'E1001;Ana Lima;R1;Trip;2;03.11.2026;Taxi;Airport;Cab;6150;12,3,4;EUR',
    ], '132.80');

    const run = await runCli(world.configPath, ['run-once']).done;
    expect(run.code, run.output.slice(-2000)).toBe(1); // something failed: run-once says so

    const batches = await world.query<{ name: string; state: string; quarantine_reason: string | null }>(`SELECT name, state, quarantine_reason FROM batches ORDER BY name`);
    const broken = batches.find((b) => b.name === 'Broken export')!;
    expect(broken.state).toBe('quarantined');
    expect(broken.quarantine_reason).toMatch(/^load: \d+\.csv:3: Amount: .*12,3,4/);
    expect(batches.filter((b) => b.name !== 'Broken export' && b.state === 'done')).toHaveLength(4);
    // No row of the bad file was loaded, and its original bytes are kept in the file store.
    const [{ n }] = (await world.query<{ n: number }>(`SELECT count(*)::int AS n FROM transactions t JOIN batches b ON b.id = t.batch_id WHERE b.name = 'Broken export'`)) as [{ n: number }];
    expect(n).toBe(0);
    const [file] = await world.query<{ sha256: string; storage_path: string }>(`SELECT f.sha256, f.storage_path FROM files f JOIN batches b ON b.id = f.batch_id WHERE b.name = 'Broken export'`);
    expect(file!.sha256).toBe(sha256);
    expect(existsSync(join(world.dataDir, file!.storage_path))).toBe(true);
    expect(readFileSync(join(world.dataDir, file!.storage_path)).equals(bytes)).toBe(true);
  });
});
