// The Companies and Saferpay pages, and a batch page's audit trail and QI Tech payout, against seeded rows: what
// each shows, cell by cell (the console's clock is fixed, so the Saferpay window is known).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { startHttpServer } from '../../src/http/server.js';
import { createConsole } from '../../src/console/index.js';
import { quietLogger, useMigratedDatabase } from '../support/db.js';

const db = useMigratedDatabase();
const VIEWER = 'pages-viewer-token-0123456789';
const NOW = new Date('2026-03-10T12:00:00Z');

let server: Awaited<ReturnType<typeof startHttpServer>>;
let cookie: string;
let qitechBatch: string;

const page = async (path: string) => {
  const r = await fetch(`http://127.0.0.1:${server.port}${path}`, { headers: { cookie }, redirect: 'manual' });
  expect(r.status, path).toBe(200);
  return r.text();
};
/** The text of each cell of each body row of the table that follows `caption`. */
function table(html: string, caption: string): string[][] {
  const at = html.indexOf(`<caption>${caption}`);
  expect(at, caption).toBeGreaterThan(-1);
  const body = html.slice(at, html.indexOf('</table>', at)).split('<tbody>')[1]!;
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<t[hd][^>]*>([\s\S]*?)<\/t[hd]>/g)].map((c) => c[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()),
  );
}

beforeAll(async () => {
  const ds = db.ds();
  await ds.query(
    `INSERT INTO companies (id, name, auth_state, auth_error, last_success_at, last_cycle_at, next_discovery_at, last_discovery_error) VALUES
       ('acme', 'Acme AG', 'ok', NULL, '2026-03-10T11:00:00Z', '2026-03-10T11:00:00Z', '2026-03-10T11:15:00Z', NULL),
       ('globex', 'Globex', 'needs_reauth', 'invalid_grant: refresh token revoked', '2026-03-01T08:00:00Z', '2026-03-10T11:05:00Z', '-infinity', 'concur: 401 invalid_grant')`,
  );
  await ds.query(`INSERT INTO sink_attention (company_id, sink, reason, since) VALUES ('acme', 'xero', 'Xero connection expired: reconnect the app', '2026-03-09T07:00:00Z')`);
  await ds.query(
    `INSERT INTO saferpay_closes (terminal_id, terminal_name, customer_id, business_day, seq, request_id, state, attempts, next_attempt_at, error_name, error_message, error_detail, behavior, http_status, forced_by, finished_at) VALUES
       ('17700001', 'Shop Zurich', '123', '2026-03-09', 0, 'r1', 'failed', 3, '2026-03-09T23:00:00Z', 'PERMISSION_DENIED', 'Access to the terminal denied', '["Terminal 17700001 is not assigned"]', 'ABORT', 403, NULL, '2026-03-09T23:10:00Z'),
       ('17700002', 'Shop Bern', '123', '2026-03-09', 0, 'r2', 'closed', 1, '2026-03-09T23:00:00Z', NULL, NULL, NULL, NULL, NULL, NULL, '2026-03-09T23:01:00Z'),
       ('17700001', 'Shop Zurich', '123', '2026-03-08', 1, 'r3', 'closed', 1, '2026-03-08T15:00:00Z', NULL, NULL, NULL, NULL, NULL, 'Ann (console)', '2026-03-08T15:00:05Z'),
       ('17700002', 'Shop Bern', '123', '2026-03-10', 0, 'r4', 'pending', 1, '2026-03-10T13:00:00Z', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
       ('17700001', 'Shop Zurich', '123', '2025-12-01', 0, 'r5', 'closed', 1, '2025-12-01T23:00:00Z', NULL, NULL, NULL, NULL, NULL, NULL, '2025-12-01T23:01:00Z')`,
  );
  const [b] = (await ds.query(
    `INSERT INTO batches (company_id, concur_batch_id, name, currency, batch_total, payment_demands, state, loaded_at, delivered_at, done_at, closed_at)
     VALUES ('acme', 'B-QI-1', 'Reembolsos', 'BRL', 250.5, 3, 'done', now(), now(), now(), '2026-03-09T17:30:00Z') RETURNING id::text AS id`,
  )) as Array<{ id: string }>;
  qitechBatch = b!.id;
  await ds.query(
    `INSERT INTO batch_events (batch_row_id, company_id, kind, from_state, to_state, detail, at) VALUES
       ($1, 'acme', 'quarantined', 'loaded', 'quarantined', '{"worker": "host-a:41:ab12cd", "reason": "qitech: fund class unknown"}', '2026-03-09T18:00:00Z'),
       ($1, 'acme', 'requeued', 'quarantined', 'loaded', '{"reason": "console retry", "by": "Ann (console)"}', '2026-03-09T18:30:00Z')`,
    [qitechBatch],
  );
  await ds.query(`INSERT INTO deliveries (batch_row_id, sink, state, attempts, delivered_at) VALUES ($1, 'qitech', 'delivered', 2, '2026-03-09T18:31:00Z')`, [qitechBatch]);
  await ds.query(
    `INSERT INTO qitech_payment_batches (batch_row_id, sink, company_id, fund_class_key, external_id, status, paid_at) VALUES ($1, 'qitech', 'acme', 'fc-1', 'erp-sync-acme-B-QI-1', 'paid', '2026-03-10T09:00:00Z')`,
    [qitechBatch],
  );

  const consoleUi = createConsole({
    ds, dataDir: '/nonexistent', logger: quietLogger, companies: [], xeroClientFor: () => null, poke: () => undefined, now: () => NOW,
    http: { port: 0, host: '127.0.0.1', console: 'login', viewerToken: VIEWER },
  });
  server = await startHttpServer({ host: '127.0.0.1', port: 0, registry: new Registry(), logger: quietLogger, ready: async () => ({ ok: true, detail: '' }), fallback: consoleUi.route });
  const login = await fetch(`http://127.0.0.1:${server.port}/login`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: VIEWER, name: 'Val' }).toString(),
  });
  cookie = (login.headers.get('set-cookie') ?? '').split(';')[0]!;
});
afterAll(async () => server?.close());

describe('the Companies page', () => {
  it('shows auth state, last successful cycle, next discovery and how to re-authorise the company that needs it', async () => {
    const html = await page('/companies');
    expect(table(html, "Each company's Concur authorisation")).toEqual([
      ['acme Acme AG', 'ok', '2026-03-10 11:00:00 UTC', '2026-03-10 11:00:00 UTC', '2026-03-10 11:15:00 UTC', ''],
      [
        'globex Globex',
        'needs re-authorisation invalid_grant: refresh token revoked Re-authorise with erp-sync reauth globex --refresh-token-file FILE',
        '2026-03-01 08:00:00 UTC',
        '2026-03-10 11:05:00 UTC',
        '—', // discovery due at once ('-infinity'): no time to show
        'concur: 401 invalid_grant',
      ],
    ]);
    expect(html).toContain('<a href="#reauthorise">Re-authorise</a> with <code>erp-sync reauth globex --refresh-token-file FILE</code>');
    expect(html).toContain('<h2 id="reauthorise">How to re-authorise a company</h2>');
    expect(html).toContain('<code>erp-sync reauth &lt;company&gt; --refresh-token-file FILE</code>');
    expect(html).toContain('<strong>acme/xero</strong> since 2026-03-09 07:00:00 UTC: Xero connection expired: reconnect the app');
  });
});

describe('the Saferpay page', () => {
  it('lists the closes per terminal and business day of the window, newest first, with Saferpay\'s ErrorMessage for the failed one', async () => {
    const html = await page('/saferpay');
    expect(html).toContain('since 2026-01-25');
    expect(table(html, 'Closes per terminal and business day')).toEqual([
      ['2026-03-10', '17700002 Shop Bern', 'daily', 'pending', '1', '', 'next 2026-03-10 13:00:00 UTC'],
      ['2026-03-09', '17700001 Shop Zurich', 'daily', 'failed', '3', 'PERMISSION_DENIED Access to the terminal denied (Terminal 17700001 is not assigned) Behavior ABORT HTTP 403', '2026-03-09 23:10:00 UTC'],
      ['2026-03-09', '17700002 Shop Bern', 'daily', 'closed', '1', '', '2026-03-09 23:01:00 UTC'],
      ['2026-03-08', '17700001 Shop Zurich', 'forced by Ann (console)', 'closed', '1', '', '2026-03-08 15:00:05 UTC'],
    ]);
    expect(html).toContain('<span class="badge bad">failed</span>');
  });
});

describe('a batch page', () => {
  it('shows the audit trail with time, transition, worker or who, and reason; and the QI Tech payout', async () => {
    const html = await page(`/batches/${qitechBatch}`);
    expect(table(html, 'Every transition and event from the audit trail')).toEqual([
      ['2026-03-09 18:00:00 UTC', 'quarantined', 'loaded → quarantined', 'host-a:41:ab12cd', 'reason: qitech: fund class unknown'],
      ['2026-03-09 18:30:00 UTC', 'requeued', 'quarantined → loaded', 'Ann (console)', 'reason: console retry'],
    ]);
    expect(html).toMatch(/<dd id="batch-total">250\.5 BRL<\/dd>/);
    expect(html).toContain('<dt>Count (reports)</dt><dd>3</dd>');
    expect(html).toContain('<dt>Closed</dt><dd>2026-03-09 17:30:00 UTC</dd>');
    expect(html).toContain('2 attempt(s), delivered 2026-03-09 18:31:00 UTC');
    expect(html).toMatch(/Payout \(QI Tech\):\s*payment batch erp-sync-acme-B-QI-1, status <strong>paid<\/strong>, paid 2026-03-10 09:00:00 UTC/);
  });
});
