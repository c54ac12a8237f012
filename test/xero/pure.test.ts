import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XeroSinkConfigSchema } from '../../sinks/xero/config.js';
import { planBills } from '../../sinks/xero/decide.js';
import { JsonDecimal, parseExact, stringifyExact } from '../../sinks/xero/json.js';
import { TenantLimiter } from '../../sinks/xero/limiter.js';
import { bankAccountFor, batchPaymentBody, groupReports, idempotencyKey, parseXeroDate, paymentReference, type ReportLine } from '../../sinks/xero/mapping.js';
import { parseWhere } from '../../sandboxes/xero/where.js';

const line = (reportId: string, amount: string, over: Partial<ReportLine> = {}): ReportLine => ({
  reportId, reportName: null, employeeId: 'E1', employeeName: 'Ada', accountCode: '6000', expenseType: null, description: null,
  amount, currency: 'USD', paymentType: null, lineRef: `${reportId}:${amount}`, raw: {}, ...over,
});

describe('exact JSON', () => {
  it('writes and reads amounts digit for digit', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }), fc.nat({ max: 8 }), (units, scale) => {
        const s = units.toString().replace('-', '').padStart(scale + 1, '0');
        const text = `${units < 0n ? '-' : ''}${scale ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s}`;
        const json = stringifyExact({ Amount: new JsonDecimal(text), Note: 'a "q" 1.5' });
        expect(json).toBe(`{"Amount":${text},"Note":"a \\"q\\" 1.5"}`);
        expect(parseExact(json)).toEqual({ Amount: text, Note: 'a "q" 1.5' });
      }),
    );
  });
  it('refuses a non-decimal amount', () => expect(() => new JsonDecimal('1e5')).toThrow());
});

describe('mapping', () => {
  it('groups lines by report with exact totals; reports owed nothing are skipped', () => {
    const g = groupReports([line('R1', '0.1'), line('R1', '0.2'), line('R2', '-5'), line('R3', '1', { currency: 'EUR' }), line('R3', '1')], {});
    expect(g.reports.map((r) => [r.reportId, r.total])).toEqual([['R1', '0.3']]);
    expect(g.skipped).toEqual(['R2']);
    expect(g.problems).toEqual([{ reportId: 'R3', message: 'report R3 mixes currencies EUR, USD' }]);
  });
  it('keeps bank-statement fields within Xero limits and the reference free of quotes', () => {
    const ident = { company: 'acme', concurBatchId: 'X'.repeat(40), batchName: 'say "hi" '.repeat(40) };
    const bp = (batchPaymentBody(ident, new Date('2025-03-14T23:59:00Z'), { code: '090' }, []) as { BatchPayments: Array<Record<string, string>> }).BatchPayments[0]!;
    expect(bp.Reference!.length).toBeLessThanOrEqual(255);
    expect(bp.Reference).not.toContain('"');
    expect(bp.Reference).toBe(paymentReference(ident));
    expect([bp.Details!.length, bp.Particulars!.length, bp.Code!.length]).toEqual([18, 8, 12]);
    expect(bp.Date).toBe('2025-03-14');
  });
  it('derives stable idempotency keys within 128 characters, distinct per step and body', () => {
    const k = idempotencyKey('c'.repeat(300), 'b', 'batchpayment-g0', '{}');
    expect(k.length).toBeLessThanOrEqual(128);
    expect(k).toBe(idempotencyKey('c'.repeat(300), 'b', 'batchpayment-g0', '{}'));
    expect(k).not.toBe(idempotencyKey('c'.repeat(300), 'b', 'batchpayment-g1', '{}'));
    expect(k).not.toBe(idempotencyKey('c'.repeat(300), 'b', 'batchpayment-g0', '{ }'));
  });
  it('reads Xero dates', () => expect(parseXeroDate('/Date(1741910400000+0000)/')?.toISOString()).toBe('2025-03-14T00:00:00.000Z'));
});

describe('planBills', () => {
  const reports = groupReports([line('R1', '10.00'), line('R2', '5')], {}).reports;
  const bill = (n: string, over = {}) => ({ InvoiceID: `id-${n}`, InvoiceNumber: n, Type: 'ACCPAY', Status: 'AUTHORISED', AmountDue: '10.00', ...over });
  it('pays found bills, creates or refuses missing ones', () => {
    expect(planBills(reports, [bill('R1')], true)).toMatchObject({ pay: [{ reportId: 'R1', invoiceId: 'id-R1', amount: '10' }], create: [{ reportId: 'R2' }], problems: [] });
    expect(planBills(reports, [bill('R1')], false).problems.map((p) => p.reportId)).toEqual(['R2']);
  });
  it('refuses bills that cannot take the payment, and ignores deleted ones', () => {
    const p = planBills(reports, [bill('R1', { AmountDue: '9.99' }), bill('R2', { Status: 'DRAFT' }), bill('R2', { Status: 'DELETED', InvoiceID: 'old' })], false).problems;
    expect(p.map((x) => x.message)).toEqual([expect.stringContaining('has 9.99 due, less than'), expect.stringContaining('is DRAFT')]);
  });
});

describe('TenantLimiter', () => {
  it('never has more than N in flight nor more than M starts a minute', async () => {
    let now = 0;
    const limiter = new TenantLimiter({ concurrent: 5, perMinute: 60, now: () => now, sleep: async (ms) => void (now += ms) });
    let inFlight = 0;
    let peak = 0;
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 150 }, () =>
        limiter.run(async () => {
          starts.push(now);
          peak = Math.max(peak, ++inFlight);
          await Promise.resolve();
          inFlight--;
        }),
      ),
    );
    expect(peak).toBe(5);
    for (const t of starts) expect(starts.filter((s) => s >= t && s < t + 60_000).length).toBeLessThanOrEqual(60);
  });
});

describe('sandbox where filter', () => {
  it('evaluates ==, != with AND / OR and parentheses, and refuses the rest', () => {
    const p = parseWhere('Type=="ACCPAY" AND (InvoiceNumber=="a\\"b" OR InvoiceNumber!="x")');
    expect(p({ Type: 'ACCPAY', InvoiceNumber: 'x' })).toBe(false);
    expect(p({ Type: 'ACCPAY', InvoiceNumber: 'y' })).toBe(true);
    expect(() => parseWhere('Type>"A"')).toThrow();
  });
});

describe('config', () => {
  it('requires a tenant, auth and a bank account; defaults the limits to Xero’s', () => {
    const c = XeroSinkConfigSchema.parse({ type: 'xero', tenantId: 't', auth: { kind: 'client_credentials', clientId: 'i', clientSecret: 's' }, bankAccount: { code: '090' } });
    expect(c).toMatchObject({ name: 'xero', createBills: false, limits: { concurrent: 5, perMinute: 60 } });
    expect(XeroSinkConfigSchema.safeParse({ type: 'xero', tenantId: 't', auth: { kind: 'client_credentials', clientId: 'i', clientSecret: 's' } }).success).toBe(false);
    const perCurrency = XeroSinkConfigSchema.safeParse({ type: 'xero', tenantId: 't', auth: { kind: 'client_credentials', clientId: 'i', clientSecret: 's' }, bankAccounts: { EUR: { code: '091' } } });
    expect(perCurrency.success).toBe(true);
    expect(XeroSinkConfigSchema.safeParse({ type: 'xero', tenantId: 't', auth: { kind: 'client_credentials', clientId: 'i', clientSecret: 's' }, bankAccounts: { eur: { code: '091' } } }).success).toBe(false);
  });

  it('picks the bank account of the batch currency, else the default, else names the currency', () => {
    const report = (currency: string | null) => ({ reportId: 'R', reportName: null, employeeId: null, employeeName: null, currency, total: '1', lines: [] });
    const cfg = { bankAccount: { code: '090' }, bankAccounts: { EUR: { code: '091' } } };
    expect(bankAccountFor([report('EUR')], cfg)).toEqual({ account: { code: '091' } });
    expect(bankAccountFor([report('USD')], cfg)).toEqual({ account: { code: '090' } });
    expect(bankAccountFor([report('CHF')], { bankAccounts: { EUR: { code: '091' } } })).toEqual({ problem: 'no Xero bank account for currency CHF: add bankAccounts.CHF (or bankAccount for any currency)' });
    expect(bankAccountFor([report('EUR'), report('USD')], cfg)).toEqual({ problem: 'the reports are in several currencies (EUR, USD); one batch payment pays one currency' });
  });
});
