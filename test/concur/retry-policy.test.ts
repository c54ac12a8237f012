import { describe, expect, it, vi } from 'vitest';
import { ConcurHttpError, ConcurNetworkError, ConcurProtocolError, ConcurTimeoutError } from '../../src/concur/errors.js';
import { backoffMs, EMPTY_BATCH_RETRY_MS, parseRetryAfter, retryPolicy, UNAVAILABLE_RETRY_MS } from '../../src/concur/retry-policy.js';
import { inCallRetries } from '../../src/concur/retry.js';
import { withRetries } from '../../src/backoff.js';
import { quietLogger } from '../support/db.js';

const ctx = { operation: 'test', url: 'http://h/x', correlationId: 'corr-1' };
const http = (status: number, message = '', retryAfter: string | null = null) => new ConcurHttpError(status, message, retryAfter, ctx);
const at = { attempt: 1, now: Date.UTC(2025, 0, 1), random: () => 0.5 };

describe('retryPolicy', () => {
  it.each([400, 401, 403, 404])('never retries %i', (status) => {
    expect(retryPolicy(http(status), at)).toEqual({ retry: false });
  });

  it('honours Retry-After on 429, in seconds or as an HTTP date', () => {
    expect(retryPolicy(http(429, '', '7'), at)).toEqual({ retry: true, retryAfterMs: 7000 });
    expect(retryPolicy(http(429, '', new Date(at.now + 90_000).toUTCString()), at)).toEqual({ retry: true, retryAfterMs: 90_000 });
  });

  it('waits 5 minutes on 503 without Retry-After, and on a timeout', () => {
    expect(retryPolicy(http(503), at)).toEqual({ retry: true, retryAfterMs: UNAVAILABLE_RETRY_MS });
    expect(retryPolicy(http(503, '', '2'), at)).toEqual({ retry: true, retryAfterMs: 2000 });
    expect(retryPolicy(new ConcurTimeoutError(60_000, ctx), at)).toEqual({ retry: true, retryAfterMs: 5 * 60_000 });
  });

  it('treats the empty-batch 500 as "no sooner than 30 minutes"', () => {
    const empty = http(500, 'The batch you attempted to close does not contain any reports. If you recently approved reports for payment, wait 30 minutes and try again.');
    expect(retryPolicy(empty, at)).toEqual({ retry: true, retryAfterMs: EMPTY_BATCH_RETRY_MS });
    expect(EMPTY_BATCH_RETRY_MS).toBe(30 * 60_000);
  });

  it('backs off exponentially with jitter on other 5xx and network errors', () => {
    const low = { ...at, random: () => 0 };
    const high = { ...at, random: () => 0.999999 };
    expect(retryPolicy(http(502), { ...low, attempt: 1 })).toEqual({ retry: true, retryAfterMs: 500 });
    expect(retryPolicy(http(500, 'Could not close'), { ...high, attempt: 3 })).toEqual({ retry: true, retryAfterMs: 4000 });
    expect(retryPolicy(new ConcurNetworkError('reset', ctx), { ...low, attempt: 4 })).toEqual({ retry: true, retryAfterMs: 4000 });
    expect(backoffMs(50, () => 0.999999)).toBe(5 * 60_000);
  });

  it('does not retry what it does not know', () => {
    expect(retryPolicy(new ConcurProtocolError('bad xml', ctx), at)).toEqual({ retry: false });
    expect(retryPolicy(new Error('bug'), at)).toEqual({ retry: false });
  });

  it('reads no Retry-After from garbage', () => {
    expect(parseRetryAfter('soon', at.now)).toBeNull();
    expect(parseRetryAfter(null, at.now)).toBeNull();
  });
});

describe('withRetries under the in-call decision', () => {
  const deps = (sleep: (ms: number) => Promise<void>) => ({ logger: quietLogger, sleep, now: () => 0, random: () => 0.5, maxAttempts: 3, maxInCallDelayMs: 60_000 });
  const inCall = <T>(d: ReturnType<typeof deps>, fn: () => Promise<T>) => withRetries(fn, inCallRetries(d), d.sleep);

  it('retries transient failures with the policy delay, then succeeds', async () => {
    const sleep = vi.fn(async () => undefined);
    const fn = vi.fn().mockRejectedValueOnce(http(429, '', '3')).mockRejectedValueOnce(http(502)).mockResolvedValueOnce('ok');
    await expect(inCall(deps(sleep), fn)).resolves.toBe('ok');
    expect(sleep.mock.calls).toEqual([[3000], [1500]]);
  });

  it('is bounded', async () => {
    const sleep = vi.fn(async () => undefined);
    const fn = vi.fn().mockRejectedValue(http(502));
    await expect(inCall(deps(sleep), fn)).rejects.toMatchObject({ status: 502 });
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('leaves long waits and final errors to the caller', async () => {
    const sleep = vi.fn(async () => undefined);
    await expect(inCall(deps(sleep), vi.fn().mockRejectedValue(http(503)))).rejects.toMatchObject({ status: 503 });
    await expect(inCall(deps(sleep), vi.fn().mockRejectedValue(http(404)))).rejects.toMatchObject({ status: 404, correlationId: 'corr-1' });
    expect(sleep).not.toHaveBeenCalled();
  });
});
