// Exponential back-off with full jitter, bounded; random is injected so tests are deterministic.

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 5_000, maxMs: 30 * 60_000, maxAttempts: 12 };

/** Delay before attempt number `attempt` (1 = first retry): uniform in [cap/2, cap], cap = base·2^(attempt-1) ≤ max. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + (cap / 2) * random());
}
