// Crash safety, part 2: killed after the download and around the load; a file that kills the process inside load.
import { expect, it } from 'vitest';
import { addCsvBatch, runCli } from './world.js';
import { describeCrashes } from './crash.js';

describeCrashes(['fetch:after-download', 'step:fetch:before-commit', 'load:mid-copy', 'step:load:after-commit'], (ctx) => {
  it('a file that kills the process inside load, three runs in a row: that batch quarantined with its file kept, the others done', async () => {
    const world = await ctx.world();
    const poison = addCsvBatch(world, 'Poison pill', ['E1001;Ana Lima;R1;Trip;1;02.11.2026;Hotel;Night;Hotel Nord;6120;120,50;EUR'], '120.50');
    for (let run = 1; run <= 3; run++) {
      const killed = await runCli(world.configPath, ['run-once'], { ERP_SYNC_FAULT: `load:mid-copy@${poison.id}` }).done;
      expect(killed.signal, `run ${run}: ${killed.output.slice(-3000)}`).toBe('SIGKILL');
    }
    // The fourth run with the fault still armed: the batch never reaches load again.
    const last = await runCli(world.configPath, ['run-once'], { ERP_SYNC_FAULT: `load:mid-copy@${poison.id}` }).done;
    expect(last.code, last.output.slice(-3000)).toBe(1);
    const batches = await world.query<{ concur_batch_id: string; state: string; quarantine_reason: string | null; payment_demands: number }>(
      `SELECT concur_batch_id, state, quarantine_reason, payment_demands FROM batches ORDER BY id`,
    );
    expect(batches.find((b) => b.concur_batch_id === poison.id)).toMatchObject({
      state: 'quarantined',
      quarantine_reason: 'step load did not finish in 3 attempts (the process stopped each time)',
    });
    const others = batches.filter((b) => b.concur_batch_id !== poison.id && b.payment_demands > 0);
    expect(others.length).toBeGreaterThan(0);
    expect(others.map((b) => b.state)).toEqual(others.map(() => 'done'));
    const [file] = await world.query<{ sha256: string }>(`SELECT f.sha256 FROM files f JOIN batches b ON b.id = f.batch_row_id WHERE b.concur_batch_id = $1 AND f.parent_file_id IS NULL`, [poison.id]);
    expect(file?.sha256).toBe(poison.sha256);
  });
});
