// The crash-safety suite: the daemon runs as a real child process and is killed with SIGKILL at every step
// boundary and in the middle of downloads, loads and uploads (ERP_SYNC_FAULT), then started again.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addCsvBatch, runCli, startWorld, until, type World } from './world.js';
import { expectSettled } from './settled.js';

const FAULT_POINTS = [
  'close:after-intent',
  'step:close:before-commit',
  'step:watch_close:before-commit',
  'step:get_file_url:before-commit',
  'fetch:mid-download',
  'fetch:after-download',
  'step:fetch:before-commit',
  'load:mid-copy',
  'step:load:after-commit',
  'sftp:mid-upload',
  'step:deliver:before-commit',
  'step:deliver:after-commit',
];

describe('crash safety (SIGKILL, then restart)', () => {
  let world: World | undefined;
  let reference: Map<string, number>;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  // A run without faults settles every batch; its row counts are what every crashed run must end with.
  beforeAll(async () => {
    const clean = await startWorld();
    try {
      const r = await runCli(clean.configPath, ['run-once']).done;
      expect(r.code, r.output.slice(-3000)).toBe(0);
      reference = await expectSettled(clean);
    } finally {
      await clean.close();
    }
  });

  it.each(FAULT_POINTS)('killed at %s, then restarted: every batch done once, nothing lost or doubled', async (fault) => {
    world = await startWorld();
    const crashed = await runCli(world.configPath, ['run-once'], { ERP_SYNC_FAULT: fault }).done;
    // The fault point must really have been reached, or this test would prove nothing.
    expect(crashed.signal, crashed.output.slice(-3000)).toBe('SIGKILL');
    const resumed = await runCli(world.configPath, ['run-once']).done;
    expect(resumed.code, resumed.output.slice(-3000)).toBe(0);
    const rows = await expectSettled(world);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(reference));
  });

  it('killed, then restarted as a daemon (start): every batch done once at once, not after the dead lease', async () => {
    world = await startWorld();
    const crashed = await runCli(world.configPath, ['run-once'], { ERP_SYNC_FAULT: 'load:mid-copy' }).done;
    expect(crashed.signal, crashed.output.slice(-3000)).toBe('SIGKILL');
    const daemon = runCli(world.configPath, ['start']);
    try {
      // Well under the 120 s lease: the dead process's claims ended with its connection.
      const open = `SELECT count(*)::int AS n FROM batches WHERE payment_demands > 0 AND state <> 'done'`;
      await until(async () => ((await world!.query<{ n: number }>(open))[0]!.n === 0 ? true : undefined), 'every batch done', 45_000);
    } finally {
      daemon.kill('SIGTERM');
      await daemon.done;
    }
    const rows = await expectSettled(world);
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(reference));
  });

  it('a file that kills the process inside load, three runs in a row: that batch quarantined with its file kept, the others done', async () => {
    world = await startWorld();
    const poison = addCsvBatch(world, 'Poison pill', ['E1001;Ana Lima;R1;Trip;1;02.11.2026;Hotel;Night;Hotel Nord;6120;120,50;EUR'], '120.50');
    for (let run = 1; run <= 3; run++) {
      const killed = await runCli(world.configPath, ['run-once'], { ERP_SYNC_FAULT: `load:mid-copy@${poison.id}` }).done;
      expect(killed.signal, `run ${run}: ${killed.output.slice(-3000)}`).toBe('SIGKILL');
    }
    // The fourth run with the fault still armed: the batch never reaches load again.
    const last = await runCli(world.configPath, ['run-once'], { ERP_SYNC_FAULT: `load:mid-copy@${poison.id}` }).done;
    expect(last.code, last.output.slice(-3000)).toBe(1);
    const batches = await world.query<{ external_id: string; state: string; quarantine_reason: string | null; payment_demands: number }>(
      `SELECT external_id, state, quarantine_reason, payment_demands FROM batches ORDER BY id`,
    );
    expect(batches.find((b) => b.external_id === poison.id)).toMatchObject({
      state: 'quarantined',
      quarantine_reason: 'step load did not finish in 3 attempts (the process stopped each time)',
    });
    const others = batches.filter((b) => b.external_id !== poison.id && b.payment_demands > 0);
    expect(others.length).toBeGreaterThan(0);
    expect(others.map((b) => b.state)).toEqual(others.map(() => 'done'));
    const [file] = await world.query<{ sha256: string }>(`SELECT f.sha256 FROM files f JOIN batches b ON b.id = f.batch_id WHERE b.external_id = $1 AND f.parent_file_id IS NULL`, [poison.id]);
    expect(file?.sha256).toBe(poison.sha256);
  });
});
