// Shared set-up for the Xero tests: a batch with transactions in the test database, a sandbox with a manual
// clock, and sinks whose sleeps move that clock (no real waiting).
import { Writable } from 'node:stream';
import type { DataSource } from 'typeorm';
import type { BatchToDeliver } from '../../sinks/sink.js';
import { XeroSinkConfigSchema, type XeroSinkConfig, type XeroSinkConfigInput } from '../../sinks/xero/config.js';
import { TenantLimiter } from '../../sinks/xero/limiter.js';
import { createXeroClient, createXeroSink, type XeroSinkDeps } from '../../sinks/xero/sink.js';
import { createLogger } from '../../src/log.js';
import { manualClock, type ManualClock } from '../../sandboxes/clock.js';
import type { XeroSandbox } from '../../sandboxes/xero/index.js';

export const TENANT = 'tenant-1';
export const CLOSED_AT = new Date('2025-03-14T17:30:00Z');
export const quiet = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }), tty: false });

export interface Line {
  report: string;
  employee: string;
  name: string;
  account: string;
  amount: string;
  currency?: string;
}

let seq = 0;

/** Inserts a loaded batch with its transactions; returns what the deliver step would hand the sink. */
export async function seedBatch(ds: DataSource, lines: Line[], company = 'acme'): Promise<BatchToDeliver> {
  const external = `B${++seq}-${Date.now()}`;
  await ds.query(`INSERT INTO companies (id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING`, [company]);
  const [b] = (await ds.query(`INSERT INTO batches (company_id, concur_batch_id, name, state, closed_at, currency) VALUES ($1, $2, $3, 'loaded', $4, 'USD') RETURNING id::text AS id`, [
    company,
    external,
    `Expense Pay ${seq}`,
    CLOSED_AT,
  ])) as Array<{ id: string }>;
  for (const [i, l] of lines.entries()) {
    await ds.query(
      `INSERT INTO transactions (company_id, batch_row_id, source_file, row_key, line_number, employee_id, employee_name, report_id, account_code, amount, currency, debit_credit, expense_type, description)
       VALUES ($1, $2, 'x.txt', $3, $4, $5, $6, $7, $8, $9, $10, 'DR', 'Meals', 'lunch')`,
      [company, b!.id, `ln:${i + 1}`, i + 1, l.employee, l.name, l.report, l.account, l.amount, l.currency ?? 'USD'],
    );
  }
  return {
    company,
    concurBatchId: external,
    batchRowId: b!.id,
    batchName: `Expense Pay ${seq}`,
    closeDate: CLOSED_AT,
    original: { name: 'x.txt', path: '/dev/null', sha256: '0'.repeat(64), size: 0 },
    entries: [],
    rows: lines.length,
    totals: {},
    reconciliation: null,
  };
}

export function sinkConfig(sb: XeroSandbox, over: Partial<XeroSinkConfigInput> = {}): XeroSinkConfig {
  return XeroSinkConfigSchema.parse({
    type: 'xero',
    tenantId: TENANT,
    apiUrl: sb.apiUrl,
    tokenUrl: sb.tokenUrl,
    auth: { kind: 'client_credentials', clientId: sb.clientId, clientSecret: sb.clientSecret },
    bankAccount: { code: '090' },
    createBills: true,
    accounts: { '6000': '429', '6100': '493' },
    contacts: { fallback: 'employee-name' },
    retries: { attempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 },
    ...over,
  });
}

/** Deps of one sink "process": its own limiter and token cache; sleeping moves the shared manual clock. */
export function processDeps(ds: DataSource, clock: ManualClock, over: Partial<XeroSinkDeps> = {}): XeroSinkDeps {
  const now = clock.now;
  const sleep = async (ms: number) => clock.advance(ms);
  return { ds, logger: quiet, now, sleep, random: () => 0.5, limiter: new TenantLimiter({ concurrent: 5, perMinute: 60, now, sleep }), ...over };
}

export const newSink = (config: XeroSinkConfig, deps: XeroSinkDeps) => createXeroSink(config, deps);
export const newClient = (config: XeroSinkConfig, company: string, deps: XeroSinkDeps) => createXeroClient(config, company, deps);
export { manualClock };

/** A fetch that dies for good (like a killed process) right after the first answer matching `when` arrived. */
export function crashingFetch(when: (method: string, url: string, status: number) => boolean): typeof fetch {
  let dead = false;
  return async (input, init) => {
    if (dead) throw new Error('process is dead');
    const res = await fetch(input, init);
    const text = await res.text();
    if (when(init?.method ?? 'GET', String(input), res.status)) {
      dead = true;
      throw new Error('crash right after the write was accepted');
    }
    return new Response(text, { status: res.status, headers: res.headers });
  };
}
