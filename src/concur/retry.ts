// The client's in-call retry decision: bounded, transient errors only, short waits only; everything else goes up.
import type { Logger } from '../log.js';
import type { RetryDecision, Sleep } from '../backoff.js';
import { ConcurError } from './errors.js';
import { retryPolicy } from './retry-policy.js';

export interface RetryLoopDeps {
  logger: Logger;
  sleep: Sleep;
  now: () => number;
  random: () => number;
  /** Attempts in all, first included. */
  maxAttempts: number;
  /** Longer waits (a 5-minute 503, a timeout) are the pipeline's to schedule: the error is thrown instead. */
  maxInCallDelayMs: number;
}

export function inCallRetries(deps: RetryLoopDeps): RetryDecision {
  return (err, attempt) => {
    const decision = retryPolicy(err, { attempt, now: deps.now(), random: deps.random });
    const again = decision.retry && decision.retryAfterMs <= deps.maxInCallDelayMs && attempt < deps.maxAttempts;
    deps.logger.warn('concur call failed', {
      error: (err as Error).message,
      operation: err instanceof ConcurError ? err.operation : undefined,
      correlationId: err instanceof ConcurError ? err.correlationId : undefined,
      status: (err as { status?: number }).status,
      attempt,
      retryInMs: again ? decision.retryAfterMs : undefined,
    });
    return again ? decision.retryAfterMs : null;
  };
}

