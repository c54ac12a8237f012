// The console over a really processed batch, in-process: the daemon's own pieces (assembleApp, the worker, the
// console on the HTTP server) against the Concur sandbox, an SFTP drop and the Xero sandbox. The batch page shows
// what the pipeline recorded; Replay to sink… delivers again and Reverse deletes the Xero batch payment, each after
// a confirmation, with CSRF, audited with the admin's name; a viewer and a form without CSRF are refused.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assembleApp, type App } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { settle } from '../../src/pipeline/settle.js';
import { startHttpServer } from '../../src/http/server.js';
import { createConsole } from '../../src/console/index.js';
import { startXeroSandbox, type XeroSandbox } from '../../sandboxes/xero/index.js';
import { quietLogger } from '../support/db.js';
import { addCsvBatch, dropContents, startWorld, type World } from '../e2e/world.js';

const ADMIN = 'actions-admin-token-0001';
const VIEWER = 'actions-viewer-token-0001';
const REPORT = 'RPT-ACT-9';
const TENANT = 'tenant-1';

let world: World;
let xero: XeroSandbox;
let rt: Runtime;
let app: App;
let http: Awaited<ReturnType<typeof startHttpServer>>;
let base: string;
let batchRowId: string;
let added: ReturnType<typeof addCsvBatch>;

const go = (path: string, init: RequestInit = {}) => fetch(base + path, { redirect: 'manual', ...init });
const post = (path: string, form: Record<string, string>, cookie: string) =>
  go(path, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams(form).toString() });
async function signIn(token: string, name: string) {
  const r = await post('/login', { token, name }, '');
  expect(r.status).toBe(303);
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  const page = await (await go('/', { headers: { cookie } })).text();
  return { cookie, csrf: /name="csrf" value="([^"]+)"/.exec(page)?.[1] ?? '' };
}
const html = async (path: string, cookie: string) => {
  const r = await go(path, { headers: { cookie } });
  expect(r.status, path).toBe(200);
  return r.text();
};
/** The daemon's work until nothing is due: what a poke starts. */
const work = () => settle(rt.ds, app.worker, app.companies.map((c) => c.id), { now: () => new Date(), maxWaitMs: 30_000 });
const q = <T>(sql: string, params: unknown[] = []) => rt.ds.query(sql, params) as Promise<T[]>;
const lastEvent = async (kind: string) => (await q<{ detail: Record<string, unknown> }>(`SELECT detail FROM batch_events WHERE batch_row_id = $1 AND kind = $2 ORDER BY id DESC LIMIT 1`, [batchRowId, kind]))[0]?.detail;

beforeAll(async () => {
  world = await startWorld();
  xero = await startXeroSandbox();
  const raw = JSON.parse(readFileSync(world.configPath, 'utf8'));
  const company = raw.companies[0];
  // Loaded although the list total is off by 10.00: the batch page shows the difference and the batch is delivered.
  company.reconciliation = { policy: 'load-and-flag' };
  company.sinks = [
    { ...company.sinks[0], name: 'sftp' },
    {
      type: 'xero', name: 'xero', tenantId: TENANT, apiUrl: xero.apiUrl, tokenUrl: xero.tokenUrl,
      auth: { kind: 'client_credentials', clientId: xero.clientId, clientSecret: xero.clientSecret },
      bankAccounts: { EUR: { code: '091' } }, createBills: true, accounts: { '6200': '429' }, contacts: { fallback: 'employee-name' },
      retries: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
    },
  ];
  raw.http = { ...raw.http, adminToken: ADMIN, viewerToken: VIEWER, console: 'login' };
  const config = validateConfig(raw, 'actions.test');
  added = addCsvBatch(world, 'Console actions', [
    `E77;Erika Muster;${REPORT};Trip;1;20.11.2026;Travel;Train;SBB;6200;100,00;EUR`,
    `E77;Erika Muster;${REPORT};Trip;2;20.11.2026;Travel;Taxi;Taxi AG;6200;10,00;EUR`,
  ], '120.00');
  rt = await openRuntime(config, quietLogger);
  app = await assembleApp(rt, quietLogger, { workerId: 'console-test-worker' });
  for (const c of app.companies) await app.daemon.discoverIfDue(c, true);
  await work();
  const consoleUi = createConsole({ ds: rt.ds, http: config.http, dataDir: config.dataDir, logger: quietLogger, companies: app.companies, xeroClientFor: app.xeroClientFor, poke: () => undefined });
  http = await startHttpServer({ host: '127.0.0.1', port: 0, registry: new Registry(), logger: quietLogger, ready: async () => ({ ok: true, detail: 'ready' }), fallback: consoleUi.route });
  base = `http://127.0.0.1:${http.port}`;
  const [b] = await q<{ id: string; state: string }>(`SELECT id::text, state FROM batches WHERE concur_batch_id = $1`, [added.id]);
  expect(b?.state).toBe('done');
  batchRowId = b!.id;
}, 120_000);

afterAll(async () => {
  await http?.close();
  await app?.close();
  await rt?.close();
  await xero?.close();
  await world?.close();
});

describe('the batch page of a processed batch', () => {
  it('shows the timeline, Concur facts, files, rows per currency, checks, deliveries with payouts and the manifest', async () => {
    const { cookie } = await signIn(VIEWER, 'Val');
    const page = await html(`/batches/${batchRowId}`, cookie);
    const [b] = await q<{ closed_at: Date }>(`SELECT closed_at FROM batches WHERE id = $1`, [batchRowId]);
    const time = (d: Date) => `${d.toISOString().replace('T', ' ').slice(0, 19)} UTC`;

    // Concur's facts: BatchTotal, Count, close time.
    expect(page).toMatch(/<dd id="batch-total">120(\.00)? EUR<\/dd>/);
    expect(page).toMatch(/<dt>Count \(reports\)<\/dt><dd>1<\/dd>/);
    expect(b!.closed_at).toBeTruthy();
    expect(page).toContain(`<dt>Closed</dt><dd>${time(b!.closed_at)}</dd>`);

    // Every reconciliation check: the batch total's expected, actual and difference.
    expect(page).toContain('id="reconciliation-status">mismatch<');
    expect(page).toMatch(/<td>batch-total<\/td><td>[^<]*<\/td><td>EUR<\/td>\s*<td class="num">120(\.00)?<\/td><td class="num">110(\.00)?<\/td><td class="num difference">-10(\.00)?<\/td>\s*<td>NO<\/td>/);

    // Rows per currency: 2 EUR rows, 110.00 net.
    expect(page).toMatch(/<tr><td>EUR<\/td><td class="num">2<\/td><td class="num">110(\.00)?<\/td><td class="num">0(\.00)?<\/td><td class="num">110(\.00)?<\/td><\/tr>/);

    // Files: the original with a download link that gives its bytes.
    const [file] = await q<{ id: string; name: string }>(`SELECT id::text, name FROM files WHERE batch_row_id = $1 AND parent_file_id IS NULL ORDER BY id LIMIT 1`, [batchRowId]);
    expect(page).toContain(`<a href="/batches/${batchRowId}/files/${file!.id}" download>Download`);
    const download = await go(`/batches/${batchRowId}/files/${file!.id}`, { headers: { cookie } });
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(added.bytes);

    // Deliveries per sink: the drop's files and manifest; Xero's batch payment and its status.
    const [payment] = xero.controls.batchPayments(TENANT).filter((p) => p.status !== 'DELETED');
    expect(payment).toBeTruthy();
    expect(page).toMatch(/<h3>sftp <span class="badge ok">delivered<\/span><\/h3>/);
    expect(page).toMatch(/<h3>xero <span class="badge ok">delivered<\/span><\/h3>/);
    expect(page).toContain(`Payout (Xero):`);
    expect(page).toMatch(new RegExp(`batch payment ${payment!.batchPaymentId}, status <strong>AUTHORISED</strong>, not reconciled`));
    const [manifest] = await q<{ path: string }>(`SELECT f->>'remotePath' AS path FROM deliveries, jsonb_array_elements(result) f WHERE batch_row_id = $1 AND sink = 'sftp' AND f->>'kind' = 'manifest'`, [batchRowId]);
    expect(manifest?.path).toBeTruthy();
    expect(page).toContain(`Manifest: <code>${manifest!.path}</code> (erp-sync.manifest/2)`);

    // The timeline from batch_events: each transition with its time, worker and reason.
    const events = await q<{ at: Date; kind: string; from_state: string | null; to_state: string | null; worker: string | null }>(
      `SELECT at, kind, from_state, to_state, detail->>'worker' AS worker FROM batch_events WHERE batch_row_id = $1 ORDER BY at, id`,
      [batchRowId],
    );
    expect(events.map((e) => e.to_state)).toContain('done');
    const timeline = /<table id="timeline">([\s\S]*?)<\/table>/.exec(page)![1]!;
    const rows = [...timeline.matchAll(/<tr>\s*<td>([^<]*)<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>\s*<td>([^<]*)<\/td>/g)].map((m) => m.slice(1, 5));
    expect(rows).toEqual(events.map((e) => [time(e.at), e.kind, [e.from_state, e.to_state].filter(Boolean).join(' → '), e.worker ?? '']));
    expect(rows.some((r) => r[3] === 'console-test-worker')).toBe(true);
    // The reconciliation outcome is a detail of the load.
    expect(timeline).toMatch(/reconciliation: mismatch/);
  });
});

describe('Replay to sink…', () => {
  it('says what will happen, refuses a viewer and a form without CSRF, delivers again and records who asked', async () => {
    const admin = await signIn(ADMIN, 'Ann Admin');
    const confirm = await html(`/batches/${batchRowId}/replay`, admin.cookie);
    expect(confirm).toContain(`<a href="/batches/${batchRowId}">c0001/${added.id}</a> is <strong>done</strong>`);
    expect(confirm).toContain('What will happen');
    expect(confirm).toContain('the chosen sink (or every sink) is marked to be delivered again');
    expect(confirm).toContain('<option value="">every sink (sftp, xero)</option>');
    expect(confirm).toContain('<option value="sftp">sftp</option>');
    expect(confirm).toContain('as done by <strong>Ann Admin</strong>');
    expect(await html(`/batches/${batchRowId}/replay?sink=sftp`, admin.cookie)).toContain('<option value="sftp" selected>sftp</option>');

    // Someone removed the batch's files from the drop.
    const before = dropContents(world.dropRoot);
    const mine = [...before.keys()].filter((p) => p.includes(added.id));
    expect(mine.length).toBeGreaterThan(1);
    for (const p of mine) rmSync(join(world.dropRoot, p));
    const [{ n: eventsBefore }] = (await q<{ n: number }>(`SELECT count(*)::int AS n FROM batch_events WHERE batch_row_id = $1`, [batchRowId])) as [{ n: number }];

    const viewer = await signIn(VIEWER, 'Val');
    expect((await post(`/batches/${batchRowId}/replay`, { csrf: viewer.csrf, sink: 'sftp' }, viewer.cookie)).status).toBe(403);
    expect((await post(`/batches/${batchRowId}/replay`, { sink: 'sftp' }, admin.cookie)).status).toBe(403);
    expect((await q<{ n: number }>(`SELECT count(*)::int AS n FROM batch_events WHERE batch_row_id = $1`, [batchRowId]))[0]!.n).toBe(eventsBefore);

    const r = await post(`/batches/${batchRowId}/replay`, { csrf: admin.csrf, sink: 'sftp' }, admin.cookie);
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/batches/${batchRowId}?done=replay`);
    expect(await lastEvent('replay_requested')).toMatchObject({ sink: 'sftp', by: 'Ann Admin (console)' });
    expect((await q<{ sink: string; state: string }>(`SELECT sink, state FROM deliveries WHERE batch_row_id = $1 ORDER BY sink`, [batchRowId])).map((d) => [d.sink, d.state])).toEqual([
      ['sftp', 'pending'],
      ['xero', 'delivered'],
    ]);

    await work();
    expect(Object.fromEntries(dropContents(world.dropRoot))).toEqual(Object.fromEntries(before));
    const [sftp] = await q<{ state: string }>(`SELECT state FROM deliveries WHERE batch_row_id = $1 AND sink = 'sftp'`, [batchRowId]);
    expect(sftp!.state).toBe('delivered');
    expect((await q<{ state: string }>(`SELECT state FROM batches WHERE id = $1`, [batchRowId]))[0]!.state).toBe('done');
    // Xero was not asked again: still one live batch payment.
    expect(xero.controls.batchPayments(TENANT).filter((p) => p.status !== 'DELETED')).toHaveLength(1);
    // The batch page tells and shows who did it in its timeline.
    const page = await html(`/batches/${batchRowId}?done=replay`, admin.cookie);
    expect(page).toContain('Replay recorded');
    expect(page).toMatch(/<td>replay_requested<\/td><td>[^<]*<\/td>\s*<td>Ann Admin \(console\)<\/td>/);
  });
});

describe('Reverse in Xero', () => {
  it('names the batch payment, refuses a viewer and a form without CSRF, deletes it in the sandbox and records who', async () => {
    const [payment] = xero.controls.batchPayments(TENANT).filter((p) => p.status !== 'DELETED');
    const id = payment!.batchPaymentId;
    const admin = await signIn(ADMIN, 'Ann Admin');
    expect(await html(`/batches/${batchRowId}`, admin.cookie)).toContain(`href="/batches/${batchRowId}/reverse?sink=xero">Reverse in Xero (xero)</a>`);
    const confirm = await html(`/batches/${batchRowId}/reverse?sink=xero`, admin.cookie);
    expect(confirm).toContain(`erp-sync asks Xero to delete batch payment ${id} (sink xero)`);
    expect(confirm).toContain('<input type="hidden" name="sink" value="xero">');
    expect(confirm).toContain('as done by <strong>Ann Admin</strong>');

    const notXero = await go(`/batches/${batchRowId}/reverse?sink=sftp`, { headers: { cookie: admin.cookie } });
    expect(notXero.status).toBe(409);
    expect(await notXero.text()).toContain('Company c0001 has no Xero sink named &quot;sftp&quot;.');

    const viewer = await signIn(VIEWER, 'Val');
    expect((await post(`/batches/${batchRowId}/reverse`, { csrf: viewer.csrf, sink: 'xero' }, viewer.cookie)).status).toBe(403);
    expect((await post(`/batches/${batchRowId}/reverse`, { sink: 'xero' }, admin.cookie)).status).toBe(403);
    expect(xero.controls.batchPayments(TENANT).find((p) => p.batchPaymentId === id)!.status).toBe('AUTHORISED');

    const r = await post(`/batches/${batchRowId}/reverse`, { csrf: admin.csrf, sink: 'xero' }, admin.cookie);
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`/batches/${batchRowId}?done=reverse`);
    expect(xero.controls.batchPayments(TENANT).find((p) => p.batchPaymentId === id)!.status).toBe('DELETED');
    expect(await q(`SELECT status FROM xero_batch_payments WHERE batch_row_id = $1 AND sink = 'xero'`, [batchRowId])).toEqual([{ status: 'DELETED' }]);
    expect(await lastEvent('xero_batch_payment_deleted')).toEqual({ sink: 'xero', batchPaymentId: id, by: 'Ann Admin (console)' });

    const page = await html(`/batches/${batchRowId}?done=reverse`, admin.cookie);
    expect(page).toContain('Reversal recorded');
    expect(page).toMatch(new RegExp(`batch payment ${id}, status <strong>DELETED</strong>`));
    expect(page).not.toContain('Reverse in Xero (xero)');
    // Twice: refused with the reason, nothing sent.
    const again = await post(`/batches/${batchRowId}/reverse`, { csrf: admin.csrf, sink: 'xero' }, admin.cookie);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('already deleted');
  });
});
