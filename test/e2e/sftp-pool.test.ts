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

  it('reuse connections across batches and companies, and close them at the end of run-once and on SIGTERM', async () => {
    world = await startWorld({ companies: 2, concurrency: 4 });
    const config = JSON.parse(readFileSync(world.configPath, 'utf8'));
    for (const c of config.companies) c.sinks[0].pool = { maxConnections: 2, idleMs: 3_600_000 };
    writeFileSync(world.configPath, JSON.stringify(config));
    const delivered = async () => (await world!.query<{ n: number }>(`SELECT count(*)::int AS n FROM batches WHERE state = 'done' AND payment_demands > 0`))[0]!.n;

    const once = await exitsWithin(runCli(world.configPath, ['run-once']), 45_000, 'run-once to exit');
    expect(once.code, once.output.slice(-3000)).toBe(0);
    const batches = await delivered();
    expect(batches).toBeGreaterThanOrEqual(4);
    // Both companies deliver to the same server with the same credentials: one target, at most 2 connections.
    expect(world.drop.connections().logins).toBeLessThanOrEqual(2);
    await until(async () => (world!.drop.connections().open === 0 ? true : undefined), 'no connection left open', 5_000);

    addCsvBatch(world, 'After run-once', ['E1001;Ana Lima;R1;Trip;1;02.11.2026;Hotel;Night;Hotel Nord;6120;120,50;EUR'], '120.50');
    const daemon = runCli(world.configPath, ['start'], { HTTP_PORT: '0' });
    try {
      await waitForOutput(daemon.read, /"message":"erp-sync ready"/, daemon.done);
      await until(async () => ((await delivered()) > batches ? true : undefined), 'the new batch delivered');
      // The daemon keeps the connection for the next delivery...
      expect(world.drop.connections().open).toBe(1);
    } finally {
      daemon.kill('SIGTERM');
    }
    // ...and closes it when it stops.
    expect((await exitsWithin(daemon, 30_000, 'the daemon to exit on SIGTERM')).code).toBe(0);
    expect(world.drop.connections().open).toBe(0);
  });
});
