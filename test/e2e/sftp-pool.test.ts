// Pooled SFTP connections in the real commands: run-once and the daemon reuse connections across batches and
// companies, and close them when they end. The idle timeout is set far beyond the test's time: a pooled
// connection left open would keep the process alive and the test would time out.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { addCsvBatch, runCli, startWorld, until, waitForOutput, type World } from './world.js';

type Child = ReturnType<typeof runCli>;

/** The child's result once it exits on its own within `ms`; killed (and the test failed) otherwise. */
async function exitsWithin(child: Child, ms: number, what: string) {
  let exited = false;
  void child.done.then(() => (exited = true));
  try {
    await until(async () => (exited ? true : undefined), what, ms);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return child.done;
}

describe('pooled SFTP connections in run-once and start', () => {
  let world: World | undefined;
  afterAll(async () => world?.close());

  it('reuse connections across batches and companies, and close them on SIGTERM and at the end of run-once', async () => {
    world = await startWorld({ companies: 2, concurrency: 4 });
    const config = JSON.parse(readFileSync(world.configPath, 'utf8'));
    for (const c of config.companies) c.sinks[0].pool = { maxConnections: 2, idleMs: 3_600_000 };
    writeFileSync(world.configPath, JSON.stringify(config));
    const delivered = async () => (await world!.query<{ n: number }>(`SELECT count(*)::int AS n FROM batches WHERE state = 'done' AND payment_demands > 0`))[0]!.n;

    const daemon = runCli(world.configPath, ['start'], { HTTP_PORT: '0' });
    try {
      await waitForOutput(daemon.read, /"message":"erp-sync ready"/, daemon.done);
      const progress = `SELECT count(DISTINCT company_id) FILTER (WHERE state = 'done')::int AS companies, count(*) FILTER (WHERE payment_demands > 0 AND state <> 'done')::int AS open FROM batches`;
      await until(async () => {
        const [p] = await world!.query<{ companies: number; open: number }>(progress);
        return p!.companies === 2 && p!.open === 0 ? true : undefined;
      }, 'every batch of both companies delivered');
      // Both companies deliver to the same server with the same credentials: one target, at most 2 connections,
      // kept open for the next delivery...
      expect(await delivered()).toBeGreaterThanOrEqual(4);
      expect(world.drop.connections().logins).toBeLessThanOrEqual(2);
      expect(world.drop.connections().open).toBeGreaterThan(0);
    } finally {
      daemon.kill('SIGTERM');
    }
    // ...and closed when the daemon stops.
    expect((await exitsWithin(daemon, 30_000, 'the daemon to exit on SIGTERM')).code).toBe(0);
    expect(world.drop.connections().open).toBe(0);

    const before = { logins: world.drop.connections().logins, delivered: await delivered() };
    addCsvBatch(world, 'For run-once', ['E1001;Ana Lima;R1;Trip;1;02.11.2026;Hotel;Night;Hotel Nord;6120;120,50;EUR'], '120.50');
    const once = await exitsWithin(runCli(world.configPath, ['run-once']), 45_000, 'run-once to exit');
    expect(once.code, once.output.slice(-3000)).toBe(0);
    expect(await delivered()).toBe(before.delivered + 1);
    expect(world.drop.connections().logins).toBe(before.logins + 1);
  });
});
