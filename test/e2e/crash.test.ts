// The crash-safety suite: the daemon runs as a real child process and is killed with SIGKILL at every step
// boundary and in the middle of downloads, loads and uploads (ERP_SYNC_FAULT), then started again.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startWorld, type World } from './world.js';
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
});
