// A stateful Xero Accounting API sandbox (bills, batch payments, OAuth2, per-tenant limits), in-process for tests.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Money, moneyText } from '../../src/money.js';
import { systemClock, type SandboxClock } from '../clock.js';
import { createXeroServer, type LoseAnswers, type XeroFaultOptions, type XeroServerState } from './server.js';
import { amountDue, newTenant, validateInvoice, type SandboxAccount } from './state.js';
import { appScopes, type SandboxAppKind } from './scopes.js';

export type { LoseAnswers, XeroFaultKind, XeroFaultOptions } from './server.js';

export interface XeroSandboxOptions {
  /** Tenant ids (default one: `tenant-1`); one client connected to all of them. */
  tenants?: string[];
  accounts?: ReadonlyArray<Omit<SandboxAccount, 'AccountID'>>;
  clock?: SandboxClock;
  accessTtlSeconds?: number;
  refreshGraceMs?: number;
  limits?: Partial<XeroServerState['limits']>;
  faults?: XeroFaultOptions | null;
  /**
   * The app: `granular` (created on or after 2 March 2026, the default: granular scopes only) or `legacy` (older:
   * the broad accounting.transactions too); `scopes` narrows it to exactly the scopes enabled for it.
   */
  app?: { kind?: SandboxAppKind; scopes?: string[] };
}

export interface SandboxBillSeed {
  tenantId: string;
  invoiceNumber: string;
  contactName: string;
  total: string;
  accountCode?: string;
  currency?: string;
  status?: 'DRAFT' | 'AUTHORISED';
}

export interface SandboxPaymentInfo {
  batchPaymentId: string;
  /** The bank account's Code. */
  account: string;
  reference: string;
  status: string;
  isReconciled: boolean;
  total: string;
  date: string;
  details?: string;
  particulars?: string;
  code?: string;
  payments: Array<{ invoiceNumber: string; amount: string }>;
}

export interface XeroSandbox {
  url: string;
  /** What to configure: apiUrl, tokenUrl and the client's credentials. */
  apiUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** The refresh token to configure for the refresh_token flow; it rotates on use. */
  refreshToken: string;
  controls: {
    addBill(seed: SandboxBillSeed): string;
    bills(tenantId: string): Array<{ invoiceId: string; invoiceNumber: string; status: string; total: string; amountDue: string; contact: string }>;
    batchPayments(tenantId: string): SandboxPaymentInfo[];
    /** The accountant reconciles the batch payment against the bank statement line. */
    reconcile(tenantId: string, batchPaymentId: string): void;
    setFaults(f: XeroFaultOptions | null): void;
    /** The next matching writes are applied but their answers are lost (the connection drops). */
    loseAnswers(l: LoseAnswers): void;
    /** The next `count` API calls answer 429 with this X-Rate-Limit-Problem. */
    throttle(count: number, problem?: 'minute' | 'concurrent' | 'day', retryAfterSeconds?: number): void;
    revokeRefreshToken(): void;
    expireAccessTokens(): void;
  };
  counters: {
    requests(route?: string): number;
    throttled(): number;
    replays(): number;
    faults(): number;
    lostAnswers(): number;
    tokenGrants(): number;
  };
  close(): Promise<void>;
}

export async function startXeroSandbox(opts: XeroSandboxOptions = {}): Promise<XeroSandbox> {
  const clock = opts.clock ?? systemClock;
  const tenants = new Map((opts.tenants ?? ['tenant-1']).map((id) => [id, newTenant(id, opts.accounts)]));
  const clientId = `client-${randomBytes(6).toString('hex')}`;
  const refreshToken = `xero-refresh-${randomBytes(16).toString('base64url')}`;
  const state: XeroServerState = {
    clock,
    tenants,
    clients: new Map([
      [
        clientId,
        {
          clientId,
          clientSecret: `secret-${randomBytes(12).toString('hex')}`,
          tenants: [...tenants.keys()],
          scopes: new Set(opts.app?.scopes ?? appScopes(opts.app?.kind ?? 'granular')),
          refresh: { current: refreshToken, previous: null, previousValidUntil: 0 },
        },
      ],
    ]),
    tokens: new Map(),
    accessTtlSeconds: opts.accessTtlSeconds ?? 1800,
    refreshGraceMs: opts.refreshGraceMs ?? 30 * 60_000,
    limits: { concurrent: 5, perMinute: 60, perDay: 5000, ...opts.limits },
    faults: opts.faults ?? null,
    loseAnswers: null,
    throttle: null,
    counters: { requests: new Map(), throttled: 0, replays: 0, faults: 0, lostAnswers: 0, tokenGrants: 0 },
  };
  const { server, resetRandom } = createXeroServer(state);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const tenant = (id: string) => {
    const t = tenants.get(id);
    if (!t) throw new Error(`xero sandbox: no tenant ${id}`);
    return t;
  };
  const client = state.clients.get(clientId)!;

  return {
    url,
    apiUrl: `${url}/api.xro/2.0`,
    tokenUrl: `${url}/connect/token`,
    clientId,
    clientSecret: client.clientSecret,
    refreshToken,
    controls: {
      addBill(seed) {
        const v = validateInvoice(tenant(seed.tenantId), {
          Type: 'ACCPAY',
          Contact: { Name: seed.contactName },
          InvoiceNumber: seed.invoiceNumber,
          Date: new Date(clock.now()).toISOString().slice(0, 10),
          CurrencyCode: seed.currency,
          Status: seed.status ?? 'AUTHORISED',
          LineItems: [{ Description: 'seeded', Quantity: '1', UnitAmount: seed.total, AccountCode: seed.accountCode ?? '429' }],
        });
        if ('errors' in v) throw new Error(`xero sandbox: bad bill seed: ${v.errors.join('; ')}`);
        return v.ok().InvoiceID;
      },
      bills: (id) =>
        [...tenant(id).invoices.values()].map((i) => ({ invoiceId: i.InvoiceID, invoiceNumber: i.InvoiceNumber, status: i.Status, total: moneyText(i.Total), amountDue: moneyText(amountDue(i)), contact: i.Contact.Name })),
      batchPayments: (id) => {
        const t = tenant(id);
        return [...t.batchPayments.values()].map((b) => ({
          batchPaymentId: b.BatchPaymentID,
          account: b.Account.Code,
          reference: b.Reference,
          status: b.Status,
          isReconciled: b.IsReconciled,
          total: moneyText(b.Payments.reduce((s, p) => s.plus(p.Amount), new Money(0))),
          date: new Date(b.Date).toISOString().slice(0, 10),
          details: b.Details,
          particulars: b.Particulars,
          code: b.Code,
          payments: b.Payments.map((p) => ({ invoiceNumber: t.invoices.get(p.InvoiceID)?.InvoiceNumber ?? '', amount: moneyText(p.Amount) })),
        }));
      },
      reconcile(id, batchPaymentId) {
        const bp = tenant(id).batchPayments.get(batchPaymentId);
        if (!bp) throw new Error(`xero sandbox: no batch payment ${batchPaymentId}`);
        bp.IsReconciled = true;
      },
      setFaults(f) {
        state.faults = f;
        resetRandom(f?.seed ?? 1);
      },
      loseAnswers: (l) => (state.loseAnswers = { ...l }),
      throttle: (count, problem = 'minute', retryAfterSeconds = 1) => (state.throttle = { count, problem, retryAfterSeconds }),
      revokeRefreshToken: () => (client.refresh = { current: null, previous: null, previousValidUntil: 0 }),
      expireAccessTokens: () => state.tokens.clear(),
    },
    counters: {
      requests: (route) => (route ? (state.counters.requests.get(route) ?? 0) : [...state.counters.requests.values()].reduce((a, b) => a + b, 0)),
      throttled: () => state.counters.throttled,
      replays: () => state.counters.replays,
      faults: () => state.counters.faults,
      lostAnswers: () => state.counters.lostAnswers,
      tokenGrants: () => state.counters.tokenGrants,
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
