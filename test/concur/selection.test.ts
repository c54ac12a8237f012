import { describe, expect, it } from 'vitest';
import { ConcurConfigSchema } from '../../src/config/schema.js';
import { decideBatch, filterRejection, globMatches, lastScheduledAt } from '../../src/concur/selection.js';
import type { BatchSummary } from '../../src/concur/xml.js';

const batch: BatchSummary = {
  concurBatchId: '1', batchName: 'Employee Reimbursements EUR', batchTotal: '12.50', currency: 'EUR', count: 3,
  type: 'Employee', paymentMethod: 'Expense Pay by SAP Concur', batchUrl: 'http://h/api/expense/paymentbatch/v1.1/batch/a$b',
};
const config = (over: object = {}) => ConcurConfigSchema.parse(over);

describe('filters', () => {
  it('admits everything when empty', () => {
    expect(filterRejection(batch, config().selection)).toBeNull();
  });

  it('filters on Type, PaymentMethod (either spelling), Currency and name patterns', () => {
    const sel = (s: object) => config({ selection: s }).selection;
    expect(filterRejection(batch, sel({ types: ['Card Program'] }))).toMatch(/type/);
    expect(filterRejection(batch, sel({ paymentMethods: ['Expense Pay by Concur'] }))).toBeNull();
    expect(filterRejection(batch, sel({ paymentMethods: ['ADP (via EPIP file)'] }))).toMatch(/payment method/);
    expect(filterRejection(batch, sel({ currencies: ['USD', 'GBP'] }))).toMatch(/currency/);
    expect(filterRejection(batch, sel({ currencies: ['eur'] }))).toBeNull();
    expect(filterRejection(batch, sel({ batchNames: ['Card*', '*EUR'] }))).toBeNull();
    expect(filterRejection(batch, sel({ batchNames: ['Employee'] }))).toMatch(/name/);
  });

  it('treats only * and ? as wildcards', () => {
    expect(globMatches('a.b*', 'a.bcd')).toBe(true);
    expect(globMatches('a.b*', 'axbcd')).toBe(false);
    expect(globMatches('Batch ?', 'Batch 7')).toBe(true);
    expect(globMatches('(x)+', '(x)+')).toBe(true);
  });
});

describe('lastScheduledAt', () => {
  it('finds the latest 06:00 in the company time zone', () => {
    // 2025-01-15 07:30 Zurich (UTC+1) → that day 06:00 local = 05:00Z
    expect(lastScheduledAt(new Date('2025-01-15T06:30:00Z'), '0 6 * * *', 'Europe/Zurich')).toEqual(new Date('2025-01-15T05:00:00Z'));
    // 05:30 local: still yesterday's
    expect(lastScheduledAt(new Date('2025-01-15T04:30:00Z'), '0 6 * * *', 'Europe/Zurich')).toEqual(new Date('2025-01-14T05:00:00Z'));
    expect(lastScheduledAt(new Date('2025-07-15T04:30:00Z'), '0 6 * * *', 'Europe/Zurich')).toEqual(new Date('2025-07-15T04:00:00Z'));
  });

  it('honours weekdays and the exact instant', () => {
    // Monday 2025-01-13 is the latest weekday-Monday before Wednesday the 15th.
    expect(lastScheduledAt(new Date('2025-01-15T12:00:00Z'), '30 17 * * 1', 'America/New_York')).toEqual(new Date('2025-01-13T22:30:00Z'));
    expect(lastScheduledAt(new Date('2025-01-15T05:00:00Z'), '0 6 * * *', 'Europe/Zurich')).toEqual(new Date('2025-01-15T05:00:00Z'));
  });

  it('crosses a DST change correctly', () => {
    // Europe/Zurich springs forward on 2025-03-30: 06:00 local is 04:00Z that day, 05:00Z the day before.
    expect(lastScheduledAt(new Date('2025-03-30T04:10:00Z'), '0 6 * * *', 'Europe/Zurich')).toEqual(new Date('2025-03-30T04:00:00Z'));
    expect(lastScheduledAt(new Date('2025-03-30T03:59:00Z'), '0 6 * * *', 'Europe/Zurich')).toEqual(new Date('2025-03-29T05:00:00Z'));
  });
});

describe('decideBatch', () => {
  const now = new Date('2025-01-15T06:30:00Z');
  const ctx = (known: { firstSeenAt: Date; closeRequestedAt: Date | null } | null, over: object = {}) => ({ now, timezone: 'Europe/Zurich', config: config(over), known });
  const longAgo = new Date('2025-01-01T00:00:00Z');

  it('closes an open batch with reports once per schedule window', () => {
    expect(decideBatch(batch, 'OPEN', ctx({ firstSeenAt: longAgo, closeRequestedAt: null }))).toEqual({ action: 'close', window: new Date('2025-01-15T05:00:00Z') });
    expect(decideBatch(batch, 'OPEN', ctx({ firstSeenAt: longAgo, closeRequestedAt: new Date('2025-01-15T05:01:00Z') }))).toEqual({ action: 'wait', reason: 'requested-this-window' });
    expect(decideBatch(batch, 'OPEN', ctx({ firstSeenAt: longAgo, closeRequestedAt: new Date('2025-01-14T05:01:00Z') })).action).toBe('close');
  });

  it('does not close a batch first seen after the latest window (e.g. the batch Concur opens after a close)', () => {
    expect(decideBatch(batch, 'OPEN', ctx(null))).toEqual({ action: 'wait', reason: 'not-due' });
    expect(decideBatch(batch, 'OPEN', ctx({ firstSeenAt: new Date('2025-01-15T05:10:00Z'), closeRequestedAt: null }))).toEqual({ action: 'wait', reason: 'not-due' });
  });

  it('leaves empty batches alone unless configured otherwise', () => {
    const empty = { ...batch, count: 0 };
    expect(decideBatch(empty, 'OPEN', ctx({ firstSeenAt: longAgo, closeRequestedAt: null }))).toEqual({ action: 'wait', reason: 'no-reports' });
    expect(decideBatch(empty, 'OPEN', ctx({ firstSeenAt: longAgo, closeRequestedAt: null }, { close: { onlyWhenCountPositive: false } })).action).toBe('close');
  });

  it('adopts a batch closed by hand, never closing it, unless adoption is off', () => {
    expect(decideBatch(batch, 'CLOSED', ctx(null))).toEqual({ action: 'adopt' });
    expect(decideBatch(batch, 'CLOSED', ctx({ firstSeenAt: longAgo, closeRequestedAt: null }))).toEqual({ action: 'adopt' });
    expect(decideBatch(batch, 'CLOSED', ctx({ firstSeenAt: longAgo, closeRequestedAt: longAgo }))).toEqual({ action: 'track' });
    expect(decideBatch(batch, 'CLOSED', ctx(null, { close: { adoptClosedBatches: false } })).action).toBe('skip');
  });

  it('skips what the filters reject, whatever its status', () => {
    const c = ctx(null, { selection: { currencies: ['USD'] } });
    expect(decideBatch(batch, 'OPEN', c).action).toBe('skip');
    expect(decideBatch(batch, 'CLOSED', c).action).toBe('skip');
  });
});
