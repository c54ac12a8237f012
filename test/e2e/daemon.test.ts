// `erp-sync start` as operators run it: health, readiness and metrics over HTTP, status --json, clean SIGTERM.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dropContents, runCli, startWorld, until, waitForOutput, type World } from './world.js';
import { manifestShape, readmeBlocks } from '../support/readme.js';
import { startSaferpaySandbox, type SaferpaySandbox } from '../../sandboxes/saferpay/index.js';

describe('the daemon', () => {
  let world: World | undefined;
  let saferpay: SaferpaySandbox | undefined;
  afterAll(async () => {
    await world?.close();
    await saferpay?.close();
  });

  it('serves /healthz, /readyz and /metrics, shows every batch in status --json, and stops cleanly on SIGTERM', async () => {
    world = await startWorld();
    // A Saferpay terminal whose daily close (every minute here, so it is due at start) the daemon runs too.
    saferpay = await startSaferpaySandbox();
    const customer = saferpay.customers[0]!;
    const config = JSON.parse(readFileSync(world.configPath, 'utf8'));
    config.saferpay = {
      terminals: [{ name: 'shop', baseUrl: saferpay.url, username: customer.username, password: customer.password, customerId: customer.customerId, terminalId: customer.terminalIds[0], schedule: '* * * * *', timezone: 'UTC' }],
    };
    config.webhooks = { qitech: { secret: 'webhook-secret-0123456789' } };
    // As the local drop of `npm start` delivers: Concur's files and the generic journal (the README's manifest example).
    Object.assign(config.companies[0].sinks[0], { deliver: ['entries', 'normalized'], formats: [{ type: 'csv' }] });
    writeFileSync(world.configPath, JSON.stringify(config));
    const daemon = runCli(world.configPath, ['start'], { HTTP_PORT: '0' });
    const [, base] = await waitForOutput(daemon.read, /"http":"(http:\/\/[^"]+)"/, daemon.done);

    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // The QI Tech webhook route is mounted: a wrong secret is refused, an unknown batch is a 404, never a crash.
    const event = JSON.stringify({ webhook_type: 'settlement.payment_batch_status_change', data: { external_id: 'nope', status: 'paid' } });
    expect((await fetch(`${base}/webhooks/qitech/wrong-secret`, { method: 'POST', body: event, headers: { 'content-type': 'application/json' } })).status).toBe(401);
    expect((await fetch(`${base}/webhooks/qitech/webhook-secret-0123456789`, { method: 'POST', body: event, headers: { 'content-type': 'application/json' } })).status).toBe(404);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ready\n');

    const metrics = await until(async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      return /erp_sync_batches\{company="c0001",state="done"\} 4/.test(text) ? text : undefined;
    }, 'four batches done in /metrics');
    expect(metrics).toMatch(/erp_sync_batches\{company="c0001",state="discovered"\} 1/);
    expect(metrics).toMatch(/erp_sync_rows_loaded_total\{company="c0001"\} [1-9]/);
    // The one reconciliation vocabulary: four loads, each reconciled from its stored rows.
    expect(metrics).toMatch(/erp_sync_reconciliations_total\{company="c0001",status="reconciled"\} 4/);
    expect(metrics).toMatch(/erp_sync_bytes_delivered_total\{sink="sftp"\} [1-9]/);
    expect(metrics).toMatch(/erp_sync_company_needs_reauth\{company="c0001"\} 0/);
    // A sink marked as needing a person (a Xero connection lacking a scope) shows in /metrics and in status.
    await world.query(`INSERT INTO sink_attention (company_id, sink, reason) VALUES ('c0001', 'xero', 'the connection lacks the scope accounting.payments')`);
    await until(async () => (/erp_sync_sink_needs_attention\{company="c0001",sink="xero"\} 1/.test(await (await fetch(`${base}/metrics`)).text()) ? true : undefined), 'the sink in /metrics');
    expect((await runCli(world.configPath, ['status']).done).output).toContain('company c0001 sink xero: NEEDS ATTENTION since');
    expect(metrics).toMatch(/erp_sync_last_successful_cycle_timestamp_seconds\{company="c0001"\} \d/);
    // prom-client's process and Node.js metrics under our prefix once, never doubled.
    expect(metrics).toMatch(/^erp_sync_process_cpu_user_seconds_total \d/m);
    expect(metrics).toMatch(/^erp_sync_nodejs_heap_size_used_bytes \d/m);
    expect(metrics).not.toMatch(/process_process|nodejs_nodejs/);
    // The terminal's batch was closed once, recorded, and shown in /metrics.
    await until(async () => (saferpay!.counters.closes() > 0 ? true : undefined), 'the Saferpay close');
    expect(await world.query(`SELECT terminal_id, state FROM saferpay_closes`)).toEqual([{ terminal_id: customer.terminalIds[0], state: 'closed' }]);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/erp_sync_saferpay_last_close\{terminal="[^"]+",outcome="closed",[^}]*\} 1/);

    const status = await runCli(world.configPath, ['status', '--json']).done;
    expect(status.code).toBe(0);
    const batches = JSON.parse(status.output.slice(status.output.indexOf('['))) as Array<Record<string, unknown>>;
    expect(batches.map((b) => b.state).sort()).toEqual(['discovered', 'done', 'done', 'done', 'done']);
    for (const b of batches.filter((x) => x.state === 'done')) {
      expect(Object.keys(b).sort()).toEqual(
        ['attempts', 'batchId', 'company', 'count', 'deliveries', 'lastError', 'name', 'nextAttemptAt', 'quarantineReason', 'reconciliation', 'rows', 'state', 'totals', 'updatedAt', 'waiting'].sort(),
      );
      expect(b).toMatchObject({ company: 'c0001', reconciliation: { status: 'reconciled' }, deliveries: [{ sink: 'sftp', state: 'delivered' }] });
    }

    daemon.kill('SIGTERM');
    const exit = await daemon.done;
    expect(exit.code, exit.output.slice(-2000)).toBe(0);
    expect(exit.output).toMatch(/"message":"stopped"/);
    // The README's manifest example has the shape of what was really written for the sandbox's EUR CSV batch.
    const written = [...dropContents(world.dropRoot).keys()].find((p) => /Employee_Reimbursements_EUR_\d+\/manifest\.json$/.test(p));
    const real = JSON.parse(readFileSync(join(world.dropRoot, written!), 'utf8'));
    expect(manifestShape(JSON.parse(readmeBlocks('json')[0]!.text))).toEqual(manifestShape(real));

    // One line per fact: every delivered path is logged once; a batch waiting for its close is not news every pass.
    const paths = [...exit.output.matchAll(/"remotePath":"([^"]+)"/g)].map((m) => m[1]!);
    expect(paths.length).toBeGreaterThanOrEqual(8);
    for (const p of new Set(paths)) expect(exit.output.split(p).length - 1, p).toBe(1);
    expect(exit.output).not.toMatch(/"message":"discovered → discovered"/);
    expect(saferpay.counters.closes()).toBe(1); // many passes, one close for the business day
    // Claims were released: nothing is left held by the stopped daemon.
    expect(await world.query(`SELECT kind, key FROM claims`)).toEqual([]);
  });
});
