// Exponential back-off with jitter, the one curve every retry in erp-sync uses; random is injected for tests.

/** The curve: the cap doubles from baseMs per attempt, up to maxMs. */
export interface BackoffCurve {
  baseMs: number;
  maxMs: number;
}

/** A curve with a bound on attempts (the pipeline's per-step retries). */
export interface BackoffPolicy extends BackoffCurve {
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 30 * 60_000, maxAttempts: 12 };

/** Delay before attempt number `attempt` (1 = first retry): uniform in [cap/2, cap], cap = base·2^(attempt-1) ≤ max. */
export function backoffDelay(attempt: number, curve: BackoffCurve, random: () => number = Math.random): number {
  const cap = Math.min(curve.maxMs, curve.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (cap / 2) * random());
}

/**
 * Runs `fn` until it succeeds or `delayAfter` declines its failure (returns null); sleeps the returned delay
 * between tries. The one retry loop: callers decide, per error and attempt, whether and how long to wait.
 */
export async function retryLoop<T>(
  fn: (attempt: number) => Promise<T>,
  delayAfter: (error: unknown, attempt: number) => number | null,
  sleep: (ms: number) => Promise<void>,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const delay = delayAfter(error, attempt);
      if (delay === null) throw error;
      await sleep(delay);
    }
  }
}
