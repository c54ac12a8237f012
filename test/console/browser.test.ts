// The console in a real browser (Debian's chromium driven by playwright-core) against a running daemon: sign in, find
// a quarantined batch by report id, read its reconciliation difference, retry it and watch it reach done; the overview's
// charts draw; an action without the CSRF token and a read-only session are refused. Screenshots of the main pages go
// to test-output/screenshots/ (CI keeps them as artifacts).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { REPO, addCsvBatch, runCli, startWorld, until, waitForOutput, type World } from '../e2e/world.js';
import type { Child } from '../support/cli.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN = 'console-admin-token-0001';
const VIEWER = 'console-viewer-token-0001';
const SHOTS = join(REPO, 'test-output', 'screenshots');
const REPORT = 'RPT-CONSOLE-7';

const present = existsSync(CHROMIUM);
// A missing browser fails CI loudly; elsewhere the tests are skipped with the reason (as .ci/check-part.mjs does).
if (!present && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: CI=true expects Debian's chromium (apt-get install -y chromium)`);
if (!present) console.warn(`skipped: the browser tests need Debian's chromium at ${CHROMIUM} (apt-get install -y chromium)`);

describe.skipIf(!present)('the console in a browser', () => {
  let world: World;
  let daemon: Child;
  let browser: BrowserContext;
  let page: Page;
  let base: string;
  let batchRowId: string;

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const signIn = async (token: string, name: string) => {
    await page.goto(`${base}/login`);
    await page.getByLabel('Your name').fill(name);
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
  };

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    world = await startWorld();
    const config = JSON.parse(readFileSync(world.configPath, 'utf8'));
    config.http = { ...config.http, adminToken: ADMIN, viewerToken: VIEWER };
    // Loaded although the figures differ, so the batch keeps its rows (and its report id) and shows the difference.
    config.companies[0].reconciliation = { policy: 'load-and-flag' };
    writeFileSync(world.configPath, JSON.stringify(config));
    const lines = [`E77;Erika Muster;${REPORT};Trip;1;20.11.2026;Travel;Train;SBB;6200;100,00;EUR`, `E77;Erika Muster;${REPORT};Trip;2;20.11.2026;Travel;Taxi;Taxi AG;6200;10,00;EUR`];
    const added = addCsvBatch(world, 'Console mismatch', lines, '120.00');
    daemon = runCli(world.configPath, ['start'], { HTTP_PORT: '0' });
    base = (await waitForOutput(daemon.read, /"http":"(http:\/\/127\.0\.0\.1:\d+)"/, daemon.done))[1]!;
    batchRowId = await until(async () => {
      const [b] = await world.query<{ id: string; state: string }>(`SELECT id::text, state FROM batches WHERE concur_batch_id = $1`, [added.id]);
      return b?.state === 'done' ? b.id : undefined;
    }, 'the mismatched batch to be delivered', 120_000);
    // As if a replay's delivery had failed until the retries ran out: back to loaded, quarantined from there, the sink's delivery failed.
    await world.query(`UPDATE batches SET state = 'quarantined', quarantine_reason = 'deliver: sftp: connection refused (retries exhausted)' WHERE id = $1`, [batchRowId]);
    await world.query(
      `INSERT INTO batch_events (batch_row_id, company_id, kind, from_state, to_state, detail) VALUES
         ($1, 'c0001', 'replay_requested', 'done', 'loaded', '{"sink": null}'), ($1, 'c0001', 'quarantined', 'loaded', 'quarantined', '{"reason": "retries exhausted"}')`,
      [batchRowId],
    );
    await world.query(`UPDATE deliveries SET state = 'failed', last_error = 'connection refused' WHERE batch_row_id = $1`, [batchRowId]);
    browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'erp-sync-chromium-')), {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1280, height: 900 },
    });
    page = await browser.newPage();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    daemon?.kill('SIGTERM');
    await daemon?.done;
    await world?.close();
  });

  it('signs in, finds the quarantined batch by report id, reads its difference, retries it and sees it done', async () => {
    await page.goto(base);
    expect(page.url()).toContain('/login');
    await shot('login');
    await signIn(ADMIN, 'Ann Admin');
    await expect.poll(() => page.url()).toBe(`${base}/`);
    await expect.poll(() => page.locator('#attention').textContent()).toContain('c0001/');
    // The charts are drawn: bars for the amounts, an area per state.
    expect(await page.locator('svg.chart rect.loaded').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.chart path.s-done').getAttribute('d')).toMatch(/^M/);
    await shot('overview');

    await page.getByRole('link', { name: 'Batches', exact: true }).click();
    await page.getByLabel('Search').fill(REPORT);
    await page.getByRole('button', { name: 'Show' }).click();
    await expect.poll(() => page.locator('#count').textContent()).toBe('1 batch');
    await shot('batches-search');
    await page.locator('table.batches tbody a').click();

    await expect.poll(() => page.locator('#state').textContent()).toBe('quarantined');
    expect(await page.locator('#reconciliation-status').textContent()).toBe('mismatch');
    expect(await page.locator('#checks tr.failed td.difference').first().textContent()).toMatch(/^-10(\.00)?$/);
    await shot('batch-quarantined');

    await page.getByRole('link', { name: 'Retry' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'What will happen' }).count()).toBe(1);
    await shot('confirm-retry');
    await page.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(async () => {
      await page.reload();
      return page.locator('#state').textContent();
    }, { timeout: 90_000, interval: 500 }).toBe('done');
    expect(await page.locator('#timeline').textContent()).toContain('Ann Admin (console)');
    await shot('batch-done');
  }, 240_000);

  it('refuses an action without the CSRF token', async () => {
    const r = await page.request.post(`${base}/batches/${batchRowId}/replay`, { form: { sink: '' }, maxRedirects: 0 });
    expect(r.status()).toBe(403);
    expect(await world.query(`SELECT state FROM batches WHERE id = $1`, [batchRowId])).toEqual([{ state: 'done' }]);
  });

  it('lets a viewer read but not act', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(VIEWER, 'Val Viewer');
    await page.goto(`${base}/batches/${batchRowId}`);
    expect(await page.getByRole('link', { name: 'Replay to sink…' }).count()).toBe(0);
    const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
    const r = await page.request.post(`${base}/batches/${batchRowId}/replay`, { form: { csrf: csrf!, sink: '' }, maxRedirects: 0 });
    expect(r.status()).toBe(403);
    expect(await r.text()).toContain('read-only');
    await shot('viewer-batch');
    await page.goto(`${base}/companies`);
    await shot('companies');
  });
});
