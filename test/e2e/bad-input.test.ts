// Bad data never stops the daemon: the batch is quarantined with its original bytes kept, the error names the
// file, line and field, and the other batches go on.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_PARSE_LIMITS } from '../../parsers/limits.js';
import { directoriesZip, iifBlockBombZip } from '../support/hostile-files.js';
import { addCsvBatch, addFileBatch, runCli, startWorld, type World } from './world.js';

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
    const [{ n }] = (await world.query<{ n: number }>(`SELECT count(*)::int AS n FROM transactions t JOIN batches b ON b.id = t.batch_row_id WHERE b.name = 'Broken export'`)) as [{ n: number }];
    expect(n).toBe(0);
    const [file] = await world.query<{ sha256: string; storage_path: string }>(`SELECT f.sha256, f.storage_path FROM files f JOIN batches b ON b.id = f.batch_row_id WHERE b.name = 'Broken export'`);
    expect(file!.sha256).toBe(sha256);
    expect(existsSync(join(world.dataDir, file!.storage_path))).toBe(true);
    expect(readFileSync(join(world.dataDir, file!.storage_path)).equals(bytes)).toBe(true);
  });
});

describe('a hostile file (default limits)', () => {
  let world: World | undefined;
  afterAll(() => world?.close());

  it('is quarantined with the limit it broke and its bytes kept, at fetch or at load, while the other batches complete', async () => {
    world = await startWorld();
    const bomb = await iifBlockBombZip(300, 1_500); // one IIF block of 450,000 fields
    const hostile: Record<string, Buffer> = { 'IIF block bomb': bomb.zip, 'Directory flood': directoriesZip(1_000) };
    const added = Object.entries(hostile).map(([name, bytes]) => ({ name, bytes, ...addFileBatch(world!, name, { fileName: `${name.replace(/\W+/g, '-')}.zip`, bytes, contentType: 'application/zip' }, '0.00') }));

    const run = await runCli(world.configPath, ['run-once']).done;
    expect(run.code, run.output.slice(-2000)).toBe(1);

    const batches = await world.query<{ id: string; name: string; state: string; quarantine_reason: string | null }>(`SELECT id, name, state, quarantine_reason FROM batches ORDER BY name`);
    const reason = (name: string) => batches.find((b) => b.name === name);
    expect(reason('IIF block bomb')).toMatchObject({
      state: 'quarantined',
      quarantine_reason: expect.stringMatching(new RegExp(`^load: bomb\\.iif:\\d+: transaction block from line 4 has more fields than the limit of ${DEFAULT_PARSE_LIMITS.maxIifBlockFields} \\(parseLimits\\.maxIifBlockFields\\)$`)),
    });
    expect(reason('Directory flood')).toMatchObject({
      state: 'quarantined',
      quarantine_reason: expect.stringMatching(/^fetch: \d+\.zip: 1000 entries, more than the limit of 64 \(zipLimits\.maxEntries\)$/),
    });
    expect(batches.filter((b) => !(b.name in hostile) && b.state === 'done')).toHaveLength(4);

    for (const { name, bytes, sha256 } of added) {
      const [{ n }] = (await world.query<{ n: number }>(`SELECT count(*)::int AS n FROM transactions t JOIN batches b ON b.id = t.batch_row_id WHERE b.name = $1`, [name])) as [{ n: number }];
      expect(n).toBe(0);
      const [file] = await world.query<{ sha256: string; storage_path: string }>(`SELECT f.sha256, f.storage_path FROM files f JOIN batches b ON b.id = f.batch_row_id WHERE b.name = $1 AND f.parent_file_id IS NULL`, [name]);
      expect(file!.sha256).toBe(sha256);
      expect(readFileSync(join(world.dataDir, file!.storage_path)).equals(bytes)).toBe(true);
    }
  });
});
