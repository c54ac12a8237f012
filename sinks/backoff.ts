// Exponential back-off with full jitter, and a retry loop whose sleeping is injected (tests never wait).

export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/** Delay before retry number `attempt` (1 = first retry): uniform in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling * random());
}

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` up to `attempts` times while `shouldRetry(error)` holds, sleeping a back-off delay between tries. */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  opts: BackoffPolicy & { attempts: number; shouldRetry: (error: unknown) => boolean; sleep?: Sleep; random?: () => number },
): Promise<T> {
  const sleep = opts.sleep ?? realSleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= opts.attempts || !opts.shouldRetry(error)) throw error;
      await sleep(backoffDelay(attempt, opts, opts.random));
    }
  }
}
