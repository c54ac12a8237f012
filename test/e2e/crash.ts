// The crash-safety suite, shared by its files (crash-*.test.ts, split so vitest runs them in parallel): the daemon
// runs as a real child process and is killed with SIGKILL at every step boundary and in the middle of downloads,
// loads and uploads (ERP_SYNC_FAULT), then started again. Each file compares its crashed runs with its own run
// without faults.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startWorld, type World } from './world.js';
import { expectSettled } from './settled.js';

export interface CrashContext {
  /** The world of the running test (closed after it). */
  world(): Promise<World>;
  /** Rows per batch of the run without faults. */
  reference(): Map<string, number>;
}

/** Registers the crash tests for `faults`, then `more(ctx)` for the file's other tests. */
export function describeCrashes(faults: string[], more: (ctx: CrashContext) => void = () => undefined): void {
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

    it.each(faults)('killed at %s, then restarted: every batch done once, nothing lost or doubled', async (fault) => {
      world = await startWorld();
      const crashed = await runCli(world.configPath, ['run-once'], { ERP_SYNC_FAULT: fault }).done;
      // The fault point must really have been reached, or this test would prove nothing.
      expect(crashed.signal, crashed.output.slice(-3000)).toBe('SIGKILL');
      const resumed = await runCli(world.configPath, ['run-once']).done;
      expect(resumed.code, resumed.output.slice(-3000)).toBe(0);
      const rows = await expectSettled(world);
      expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(reference));
    });

    more({ world: async () => (world = await startWorld()), reference: () => reference });
  });
}
