// Claims die with their holder, and run-once tells the truth about work another live process holds: it waits for
// it (bounded), finishes it once that process is gone, or reports who holds it and exits 1. Default lease (120 s).
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { killableHolder } from '../support/db.js';
import { runCli, startWorld, until, waitForOutput, type World } from './world.js';
import { startSaferpaySandbox, type SaferpaySandbox } from '../../sandboxes/saferpay/index.js';
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

describe('a Saferpay close whose process was SIGKILLed mid-call', () => {
  let world: World | undefined;
  let saferpay: SaferpaySandbox | undefined;
  afterEach(async () => {
    await world?.close();
    await saferpay?.close();
    world = undefined;
  });

  it('is retried by the next run at once (RetryIndicator 1, one close), not after the dead lease (100 s + 60 s)', async () => {
    world = await startWorld();
    saferpay = await startSaferpaySandbox();
    const customer = saferpay.customers[0]!;
    const config = JSON.parse(readFileSync(world.configPath, 'utf8'));
    config.saferpay = {
      terminals: [{ name: 'shop', baseUrl: saferpay.url, username: customer.username, password: customer.password, customerId: customer.customerId, terminalId: customer.terminalIds[0] }],
    };
    writeFileSync(world.configPath, JSON.stringify(config));
    // Saferpay executes the close but answers only after a long while: the process is killed while it waits.
    saferpay.controls.setFaults({ rate: 0, slowMs: 90_000 });
    saferpay.controls.failNext('slow');
    const first = runCli(world.configPath, ['saferpay', 'close', 'shop']);
    await until(async () => (saferpay!.requests().length === 1 ? true : undefined), 'the close request');
    first.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');

    const again = await runCli(world.configPath, ['saferpay', 'close', 'shop']).done;
    expect(again.code, again.output.slice(-3000)).toBe(0);
    expect(again.output).toMatch(/shop \d{4}-\d{2}-\d{2}: closed \(RequestId [\w-]+, 2 attempts\)/);
    expect(saferpay.requests().map((r) => r.retryIndicator)).toEqual([0, 1]);
    expect(new Set(saferpay.requests().map((r) => r.requestId)).size).toBe(1);
    expect(saferpay.counters.closes()).toBe(1);
  });
});
