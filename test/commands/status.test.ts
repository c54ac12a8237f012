import { describe, expect, it } from 'vitest';
import { waitingOf } from '../../src/commands/status.js';
import type { CompanyConfig } from '../../src/config/schema.js';
import type { BatchStatus } from '../../src/store/status.js';

const now = new Date('2026-01-10T08:00:00Z');
const later = '2026-01-10T09:00:00Z';
const batch = (over: Partial<BatchStatus>): BatchStatus =>
  ({ company: 'acme', batchId: 'B1', name: null, state: 'discovered', count: 3, attempts: 0, nextAttemptAt: later, rows: 0, totals: {}, reconciliation: null, deliveries: [], lastError: null, quarantineReason: null, updatedAt: later, ...over }) as BatchStatus;
const company = { timezone: 'Europe/Zurich', concur: { close: { schedule: '0 18 * * 5' } } } as unknown as CompanyConfig;

describe('status: why a batch waits (decided by whyWaiting)', () => {
  it('words each wait with its detail', () => {
    expect(waitingOf(batch({}), company, now)).toEqual({ until: later, reason: 'close window: close.schedule "0 18 * * 5" (Europe/Zurich)' });
    expect(waitingOf(batch({ count: 0 }), company, now)?.reason).toBe('empty: no reports yet (Count 0); looked at again at the next listing');
    expect(waitingOf(batch({ state: 'empty' }), company, now)?.reason).toBe('empty: Concur says the batch has no reports; tried again');
    expect(waitingOf(batch({ state: 'closing' }), company, now)?.reason).toBe('close requested: watching the list until Concur shows it CLOSED');
    expect(waitingOf(batch({ state: 'fetched', attempts: 2, lastError: 'disk full' }), company, now)?.reason).toBe('back-off after 2 failed attempts');
  });

  it('says nothing of a batch due now or finished', () => {
    expect(waitingOf(batch({ nextAttemptAt: '2026-01-10T07:00:00Z' }), company, now)).toBeNull();
    expect(waitingOf(batch({ state: 'done', nextAttemptAt: null }), company, now)).toBeNull();
  });
});
