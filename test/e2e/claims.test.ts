// Claims die with their holder, and run-once tells the truth about work another live process holds: it waits for
// it (bounded), finishes it once that process is gone, or reports who holds it and exits 1. Default lease (120 s).
import { afterEach, describe, expect, it } from 'vitest';
import { killableHolder } from '../support/db.js';
import { runCli, startWorld, waitForOutput, type World } from './world.js';
import { expectSettled } from './settled.js';

/** Another live process (a session of the test's own) holding the discovery claim of a company for an hour. */
async function holdDiscovery(world: World, company: string, holderId: string): Promise<{ kill(): Promise<void> }> {
  const migrated = await runCli(world.configPath, ['migrate']).done;
  expect(migrated.code, migrated.output.slice(-2000)).toBe(0);
  const other = await killableHolder(world.databaseUrl, holderId);
  await world.query(`INSERT INTO claims (kind, key, holder, session, expires_at) VALUES ('discovery', $1, $2, $3, now() + interval '1 hour')`, [
    company, holderId, other.holder.session,
  ]);
  return other;
}

const lastLine = (output: string) => output.trim().split('\n').at(-1) ?? '';

describe('run-once while another live process holds a company', () => {
  let world: World | undefined;
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  it('waits for it, and once that process dies (its connection drops) lists the company and finishes every batch', async () => {
    world = await startWorld();
    const other = await holdDiscovery(world, 'c0001', 'other-host:4242:abcdef');
    const run = runCli(world.configPath, ['run-once']);
    await waitForOutput(run.read, /"heldBy":"other-host:4242:abcdef".*"message":"waiting for another process listing the company"|"message":"waiting for another process listing the company".*"heldBy":"other-host:4242:abcdef"/, run.done);
    await other.kill();
    const r = await run.done;
    expect(r.code, r.output.slice(-3000)).toBe(0);
    expect(lastLine(r.output)).toMatch(/"message":"run-once finished: c0001: listed, 4 done, 1 wait for the close window until /);
    await expectSettled(world);
  });

  it('reports who holds it when the wait is over, and exits 1', async () => {
    world = await startWorld({ pipeline: { runOnceWaitMs: 500 } });
    const other = await holdDiscovery(world, 'c0001', 'other-host:4242:abcdef');
    try {
      const r = await runCli(world.configPath, ['run-once']).done;
      expect(r.code, r.output.slice(-3000)).toBe(1);
      expect(lastLine(r.output)).toMatch(/"message":"run-once finished: c0001: not listed: held by other-host:4242:abcdef, 0 done"/);
      expect(await world.query(`SELECT id FROM batches`)).toEqual([]);
    } finally {
      await other.kill();
    }
  });
});
