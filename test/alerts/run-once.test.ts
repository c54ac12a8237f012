// run-once (the Kubernetes CronJob) is the only process of some deployments: it announces what it quarantined.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { startAlertReceiver, type AlertReceiver } from '../../sandboxes/alerts/receiver.js';
import { addCsvBatch, runCli, startWorld, type World } from '../e2e/world.js';

describe('run-once with an alert target', () => {
  let world: World | undefined;
  let receiver: AlertReceiver | undefined;
  afterAll(async () => {
    await receiver?.close();
    await world?.close();
  });

  it('sends one signed alert for the batch it quarantined, and none again on the next run', async () => {
    world = await startWorld();
    receiver = await startAlertReceiver();
    const config = JSON.parse(readFileSync(world.configPath, 'utf8'));
    config.alerts = { targets: [{ type: 'webhook', url: receiver.url, secret: receiver.secret }], consoleUrl: 'https://erp-sync.example.com' };
    writeFileSync(world.configPath, JSON.stringify(config));
    addCsvBatch(world, 'Broken export', ['E1001;Ana Lima;R1;Trip;1;02.11.2026;Taxi;Airport;Cab;6150;12,3,4;EUR'], '12.34');

    expect((await runCli(world.configPath, ['run-once']).done).code).toBe(1);
    await runCli(world.configPath, ['run-once']).done;
    expect(receiver.refused()).toBe(0);
    const [alert, ...more] = receiver.received().map((r) => r.message);
    expect(more).toEqual([]);
    const [{ concur_batch_id: batch }] = (await world.query<{ concur_batch_id: string }>(`SELECT concur_batch_id FROM batches WHERE name = 'Broken export'`)) as [{ concur_batch_id: string }];
    expect(alert).toMatchObject({ event: 'opened', kind: 'batch_quarantined', company: 'c0001', batch, link: `https://erp-sync.example.com/batches/${batch}` });
    expect(alert!.reason).toMatch(/^load: \d+\.csv:2: Amount: .*12,3,4/);
  });
});
