import { describe, expect, it } from 'vitest';
import { closeIntent, transition, type BatchView, type Outcome } from '../../src/pipeline/machine.js';
import { testPolicy } from './policy.js';
import { backoffDelay } from '../../src/backoff.js';
import { stepFor } from '../../src/model/batch-state.js';

const now = new Date('2026-11-22T10:00:00Z');
const policy = testPolicy();
const batch = (over: Partial<BatchView> = {}): BatchView => ({ state: 'discovered', attempts: 0, paymentDemands: 3, stateData: {}, ...over });

describe('batch state machine', () => {
  it('walks the happy path discovered → done, one step per state', () => {
    const path: string[] = [];
    let b = batch();
    const outcomes: Record<string, Outcome> = {
      close: { kind: 'close_accepted', jobQueueKey: 'jq$1' },
      watch_close: { kind: 'seen_closed' },
      get_file_url: { kind: 'file_url', url: 'https://x/v1.1/batch/a$b/file' },
      fetch: { kind: 'fetched', fileId: '1', sha256: 'ab', size: 10 },
      load: { kind: 'loaded', rows: 5, replaced: 0, reconciliation: { status: 'reconciled', rows: 5, totals: {}, difference: {}, checks: [], warnings: [] } },
      deliver: { kind: 'delivered', sinks: ['sftp'] },
    };
    for (let i = 0; i < 10 && stepFor(b.state); i++) {
      const step = stepFor(b.state)!;
      if (step === 'close') b = { ...b, state: closeIntent(now).state };
      const t = transition(b, step, outcomes[step]!, now, policy);
      path.push(t.state);
      b = { ...b, state: t.state, attempts: t.attempts };
    }
    expect(path).toEqual(['closing', 'closed', 'file_ready', 'fetched', 'loaded', 'done']);
  });

  it('records the close intent with its time before the request is sent', () => {
    const t = closeIntent(now);
    expect(t).toMatchObject({ state: 'closing', event: 'close_requested', set: { closeRequestedAt: now } });
  });

  it('waits 30 minutes on an empty batch, as a state, not an error', () => {
    const t = transition(batch({ state: 'closing' }), 'close', { kind: 'close_empty' }, now, policy);
    expect(t.state).toBe('empty');
    expect(t.lastError).toBeNull();
    expect(t.nextAttemptAt!.getTime() - now.getTime()).toBe(30 * 60_000);
    expect(stepFor('empty')).toBe('close');
  });

  it('keeps watching while the close is pending and opens a new close window after the timeout', () => {
    const requested = new Date(now.getTime() - 60_000).toISOString();
    const pending = transition(batch({ state: 'closing', stateData: { closeRequestedAt: requested } }), 'watch_close', { kind: 'not_closed_yet' }, now, policy);
    expect(pending.state).toBe('closing');
    expect(pending.nextAttemptAt!.getTime()).toBeGreaterThan(now.getTime());
    const late = new Date(now.getTime() + 15 * 60_000);
    const timedOut = transition(batch({ state: 'closing', stateData: { closeRequestedAt: requested } }), 'watch_close', { kind: 'not_closed_yet' }, late, policy);
    expect(timedOut).toMatchObject({ state: 'discovered', event: 'close_watch_timed_out' });
  });

  it('retries a retryable failure with back-off, honouring Retry-After, then quarantines after the bound', () => {
    const failed = { kind: 'failed', error: { kind: 'http_503', message: 'unavailable', retryable: true, retryAfterMs: 300_000 } } as const;
    const first = transition(batch({ state: 'file_ready' }), 'fetch', failed, now, policy);
    expect(first).toMatchObject({ state: 'file_ready', attempts: 1, event: 'retry_scheduled', lastError: 'unavailable' });
    expect(first.nextAttemptAt!.getTime() - now.getTime()).toBe(300_000);
    const last = transition(batch({ state: 'file_ready', attempts: 3 }), 'fetch', failed, now, policy);
    expect(last).toMatchObject({ state: 'quarantined', attempts: 4 });
    expect(last.set.quarantineReason).toMatch(/fetch failed 4 times; last: unavailable/);
  });

  it('quarantines a permanent failure at once with its reason', () => {
    const t = transition(batch({ state: 'fetched' }), 'load', { kind: 'failed', error: { kind: 'parse', message: 'x.csv line 3 field amount: not a number', retryable: false } }, now, policy);
    expect(t).toMatchObject({ state: 'quarantined', set: { quarantineReason: 'load: x.csv line 3 field amount: not a number' } });
  });

  it('applies the reconciliation policy both ways', () => {
    const mismatch: Outcome = { kind: 'loaded', rows: 2, replaced: 0, reconciliation: { status: 'mismatch', rows: 2, totals: {}, difference: { EUR: '0.01' }, checks: [], warnings: [] } };
    expect(transition(batch({ state: 'fetched' }), 'load', mismatch, now, policy).state).toBe('quarantined');
    const flagged = transition(batch({ state: 'fetched' }), 'load', mismatch, now, { ...policy, reconciliation: 'load-and-flag' });
    expect(flagged).toMatchObject({ state: 'loaded', set: { reconciliation: { status: 'mismatch' } } });
  });

  it('defers a close that is not due to the due time', () => {
    const due = new Date('2026-11-23T05:00:00Z');
    const t = transition(batch(), 'close', { kind: 'close_not_due', nextDueAt: due }, now, policy);
    expect(t).toMatchObject({ state: 'discovered', nextAttemptAt: due, event: 'close_deferred' });
  });
});

describe('back-off', () => {
  it('grows exponentially within [cap/2, cap] and stops at the maximum', () => {
    const p = { baseMs: 1_000, maxMs: 8_000, maxAttempts: 10 };
    expect(backoffDelay(1, p, () => 0)).toBe(500);
    expect(backoffDelay(1, p, () => 1)).toBe(1_000);
    expect(backoffDelay(3, p, () => 1)).toBe(4_000);
    expect(backoffDelay(9, p, () => 1)).toBe(8_000);
    expect(backoffDelay(9, p, () => 0)).toBe(4_000);
  });
});
