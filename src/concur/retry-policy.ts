// What to do after a failed Concur call: a pure decision, so the pipeline and the client's in-call loop agree.
import { backoffDelay } from '../backoff.js';
import { ConcurHttpError, ConcurNetworkError, ConcurTimeoutError } from './errors.js';

export type RetryDecision = { retry: false } | { retry: true; retryAfterMs: number };

export interface RetryContext {
  /** 1 for the first failure of this operation, 2 for the second, … */
  attempt: number;
  /** Epoch ms; used to read a Retry-After given as an HTTP date. */
  now: number;
  /** In [0, 1); the jitter source. */
  random: () => number;
}

/** The documented wait after the empty-batch 500 ("wait 30 minutes and try again"). */
export const EMPTY_BATCH_RETRY_MS = 30 * 60_000;
/** 503 without Retry-After, and timeouts: the documented "sleep 5 minutes". */
export const UNAVAILABLE_RETRY_MS = 5 * 60_000;
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_CAP_MS = 5 * 60_000;

/** The empty-batch message, as Concur words it; matched loosely because only its gist is stable. */
export function isEmptyBatchMessage(message: string): boolean {
  return /does not contain any reports/i.test(message);
}

/** Parses Retry-After (delta seconds or an HTTP date) into ms from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Exponential back-off with jitter for Concur calls: 1 s doubling up to 5 minutes. */
export function backoffMs(attempt: number, random: () => number): number {
  return backoffDelay(attempt, { baseMs: BACKOFF_BASE_MS, maxMs: BACKOFF_CAP_MS }, random);
}

export function retryPolicy(error: unknown, ctx: RetryContext): RetryDecision {
  if (error instanceof ConcurTimeoutError) return { retry: true, retryAfterMs: UNAVAILABLE_RETRY_MS };
  if (error instanceof ConcurNetworkError) return { retry: true, retryAfterMs: backoffMs(ctx.attempt, ctx.random) };
  if (!(error instanceof ConcurHttpError)) return { retry: false };
  const { status } = error;
  const after = parseRetryAfter(error.retryAfter, ctx.now);
  if (status === 429) return { retry: true, retryAfterMs: after ?? backoffMs(ctx.attempt, ctx.random) };
  if (status === 503) return { retry: true, retryAfterMs: after ?? UNAVAILABLE_RETRY_MS };
  if (status === 500 && isEmptyBatchMessage(error.concurMessage)) return { retry: true, retryAfterMs: EMPTY_BATCH_RETRY_MS };
  if (status >= 500) return { retry: true, retryAfterMs: after ?? backoffMs(ctx.attempt, ctx.random) };
  // 400 (bad id, chunked body, request limit), 401, 403 after its one refresh, 404: retrying cannot help.
  return { retry: false };
}
