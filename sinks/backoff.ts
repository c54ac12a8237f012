// A retry loop for the sinks' connection attempts, whose sleeping is injected (tests never wait).
import { backoffDelay, retryLoop } from '../src/backoff.js';

export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` up to `attempts` times while `shouldRetry(error)` holds, sleeping a back-off delay between tries. */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  opts: BackoffPolicy & { attempts: number; shouldRetry: (error: unknown) => boolean; sleep?: Sleep; random?: () => number },
): Promise<T> {
  return retryLoop(
    fn,
    (error, attempt) =>
      attempt < opts.attempts && opts.shouldRetry(error) ? backoffDelay(attempt, { baseMs: opts.baseDelayMs, maxMs: opts.maxDelayMs }, opts.random) : null,
    opts.sleep ?? realSleep,
  );
}
