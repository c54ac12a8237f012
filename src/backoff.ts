// Exponential back-off with jitter, the one curve every retry in erp-sync uses, and the one retry loop; random
// and sleep are injected for tests.

/** The curve: the cap doubles from baseMs per attempt, up to maxMs. */
export interface BackoffCurve {
  baseMs: number;
  maxMs: number;
}

/** A curve with a bound on attempts (first included): the pipeline's per-step retries, a sink's in-call retries. */
export interface BackoffPolicy extends BackoffCurve {
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 30 * 60_000, maxAttempts: 12 };

/** How the sinks' configuration spells a back-off policy (`retries:` of SFTP, Xero, QI Tech). */
export interface RetrySettings {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export function backoffOf(settings: RetrySettings): BackoffPolicy {
  return { baseMs: settings.baseDelayMs, maxMs: settings.maxDelayMs, maxAttempts: settings.attempts };
}

/** Delay before attempt number `attempt` (1 = first retry): uniform in [cap/2, cap], cap = base·2^(attempt-1) ≤ max. */
export function backoffDelay(attempt: number, curve: BackoffCurve, random: () => number = Math.random): number {
  const cap = Math.min(curve.maxMs, curve.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (cap / 2) * random());
}

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** After attempt number `attempt` failed with `error`: the delay before the next one, or null to give up (rethrow). */
export type RetryDecision = (error: unknown, attempt: number) => number | null;

/**
 * Runs `fn` until it succeeds or `delayAfter` declines its failure; sleeps the returned delay between tries. The
 * one retry loop: callers decide, per error and attempt, whether and how long to wait.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, delayAfter: RetryDecision, sleep: Sleep = realSleep): Promise<T> {
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

/** The plain decision: back off along `policy` while `retryable(error)` holds and attempts remain. */
export function backingOff(policy: BackoffPolicy, retryable: (error: unknown) => boolean, random: () => number = Math.random): RetryDecision {
  return (error, attempt) => (attempt < policy.maxAttempts && retryable(error) ? backoffDelay(attempt, policy, random) : null);
}
