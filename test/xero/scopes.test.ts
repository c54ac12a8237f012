// Xero's granular scopes (apps created on or after 2 March 2026) and the broad legacy one, end to end against the
// sandbox: what the sink asks for, what Xero grants, and a missing scope named once, never retried.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXeroSandbox, type XeroSandbox } from '../../sandboxes/xero/index.js';
import { appScopes } from '../../sandboxes/xero/scopes.js';
import { sinksNeedingAttention } from '../../src/store/sink-attention.js';
import { renderStatus } from '../../src/commands/status.js';
import { useMigratedDatabase } from '../support/db.js';
import { manualClock, newSink, processDeps, seedBatch, sinkConfig, TENANT } from './harness.js';

const db = useMigratedDatabase();
const clock = manualClock();
const sandboxes: XeroSandbox[] = [];
afterAll(() => Promise.all(sandboxes.map((s) => s.close())));

async function sandbox(app?: { kind?: 'granular' | 'legacy'; scopes?: string[] }): Promise<XeroSandbox> {
  const sb = await startXeroSandbox({ clock, app });
  sandboxes.push(sb);
  return sb;
}

/** A fetch that records the scope of every token request. */
function recordingScopes(): { fetch: typeof fetch; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    fetch: async (input, init) => {
      if (String(input).endsWith('/connect/token')) asked.push(new URLSearchParams(String(init?.body)).get('scope') ?? '');
      return fetch(input, init);
    },
  };
}

async function token(sb: XeroSandbox, scope: string): Promise<{ status: number; json: Record<string, string> }> {
  const res = await fetch(sb.tokenUrl, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${sb.clientId}:${sb.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  return { status: res.status, json: (await res.json()) as Record<string, string> };
}

let n = 0;
const oneReport = (company: string) => seedBatch(db.ds(), [{ report: `S-${++n}`, employee: 'E1', name: 'Ada Lovelace', account: '6000', amount: '12.34' }], company);
const postedFor = (sb: XeroSandbox, concurBatchId: string) => sb.controls.batchPayments(TENANT).filter((p) => p.reference.includes(concurBatchId));

describe('xero scopes', () => {
  let granularApp: XeroSandbox;
  beforeAll(async () => {
    granularApp = await sandbox();
  });

  it('by default asks for the granular scopes and posts the batch to an app created since March 2026', async () => {
    const rec = recordingScopes();
    const batch = await oneReport('granular-co');
    const report = await newSink(sinkConfig(granularApp), processDeps(db.ds(), clock, { fetch: rec.fetch })).deliver(batch);
    expect(report.error?.message).toBeUndefined();
    expect(rec.asked).toEqual(['accounting.invoices accounting.payments accounting.contacts accounting.settings.read']);
    expect(postedFor(granularApp, batch.concurBatchId)).toHaveLength(1);
  });

  it('with scopes: legacy asks for the broad scope and posts the batch to an older app', async () => {
    const legacyApp = await sandbox({ kind: 'legacy' });
    const rec = recordingScopes();
    const batch = await oneReport('legacy-co');
    const report = await newSink(sinkConfig(legacyApp, { scopes: 'legacy' }), processDeps(db.ds(), clock, { fetch: rec.fetch })).deliver(batch);
    expect(report.error?.message).toBeUndefined();
    expect(rec.asked).toEqual(['accounting.transactions accounting.contacts accounting.settings.read']);
    expect(postedFor(legacyApp, batch.concurBatchId)).toHaveLength(1);
  });

  it('the broad scope from a new app: invalid_scope, named with the setting, not retried, the sink marked for a person', async () => {
    const batch = await oneReport('wrongmode-co');
    const tokenCalls = granularApp.counters.requests('POST /connect/token');
    const report = await newSink(sinkConfig(granularApp, { scopes: 'legacy' }), processDeps(db.ds(), clock)).deliver(batch);
    expect(report.ok).toBe(false);
    expect(report.error).toMatchObject({ code: 'auth', retryable: false });
    expect(report.error?.message).toContain('invalid_scope');
    expect(report.error?.message).toContain('accounting.transactions');
    expect(report.error?.message).toContain('scopes: legacy');
    expect(granularApp.counters.requests('POST /connect/token')).toBe(tokenCalls + 1);
    const attention = (await sinksNeedingAttention(db.ds())).filter((a) => a.companyId === 'wrongmode-co');
    expect(attention).toMatchObject([{ sink: 'xero', reason: report.error!.message }]);
    expect(renderStatus([], [], attention)).toContain('company wrongmode-co sink xero: NEEDS ATTENTION');
    expect(postedFor(granularApp, batch.concurBatchId)).toHaveLength(0);
  });

  it('a scope the app lacks: 401 AuthorizationUnsuccessful names the scope and the setting once; fixed, the sink works and is cleared', async () => {
    const noPayments = await sandbox({ scopes: appScopes('granular').filter((s) => !s.startsWith('accounting.payments')) });
    const batch = await oneReport('nopay-co');
    const config = sinkConfig(noPayments, { scopes: ['accounting.invoices', 'accounting.contacts', 'accounting.settings.read'] });
    const report = await newSink(config, processDeps(db.ds(), clock)).deliver(batch);
    expect(report.error).toMatchObject({ code: 'auth', retryable: false });
    const message = report.error!.message;
    expect(message).toContain('401 AuthorizationUnsuccessful');
    expect(message).toContain('lacks the scope accounting.payments');
    expect(message).toContain('add accounting.payments to the `scopes` setting of Xero sink xero (company nopay-co');
    // One look-up answered 401, not a loop of new tokens and retries.
    expect(noPayments.counters.requests('GET /api.xro/2.0/BatchPayments')).toBe(1);
    expect(noPayments.counters.requests('POST /connect/token')).toBe(1);
    expect((await sinksNeedingAttention(db.ds())).map((a) => a.companyId)).toContain('nopay-co');

    // The same connection asking (by default) for a scope it was not granted: the message says so.
    const asked = await newSink(sinkConfig(noPayments), processDeps(db.ds(), clock)).deliver(batch);
    expect(asked.error?.message).toContain('invalid_scope');

    // A person enabled the scope for the app (here: a fully enabled app) and the next delivery works.
    const fixed = await newSink(sinkConfig(granularApp), processDeps(db.ds(), clock)).deliver(batch);
    expect(fixed.error?.message).toBeUndefined();
    expect(postedFor(granularApp, batch.concurBatchId)).toHaveLength(1);
    expect((await sinksNeedingAttention(db.ds())).map((a) => a.companyId)).not.toContain('nopay-co');
  });

  it('the sandbox checks each endpoint against its own scope family (read-only variants for GET only)', async () => {
    const sb = await sandbox();
    const call = async (access: string, method: string, path: string) =>
      (await fetch(`${sb.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${access}`, 'xero-tenant-id': TENANT, 'content-type': 'application/json' }, body: method === 'GET' ? undefined : '{}' })).status;

    expect(await token(sb, 'accounting.transactions')).toEqual({ status: 400, json: { error: 'invalid_scope' } });
    const read = await token(sb, 'accounting.invoices.read');
    expect(read.json.scope).toBe('accounting.invoices.read');
    expect(await call(read.json.access_token!, 'GET', '/Invoices')).toBe(200);
    expect(await call(read.json.access_token!, 'PUT', '/Invoices')).toBe(401);
    expect(await call(read.json.access_token!, 'GET', '/BatchPayments')).toBe(401);
    const pay = (await token(sb, 'accounting.payments')).json.access_token!;
    expect(await call(pay, 'GET', '/BatchPayments')).toBe(200);
    expect(await call(pay, 'GET', '/Invoices')).toBe(401);
    expect((await token(await sandbox({ kind: 'legacy' }), 'accounting.transactions')).json.scope).toBe('accounting.transactions');
  });
});
