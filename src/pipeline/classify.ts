// Turns whatever a step threw into a StepFailure the state machine can decide on.
import type { StepFailure } from './machine.js';

/** The shape typed errors of the adapters share: they say themselves whether a retry can help. */
interface SelfDescribing {
  retryable?: unknown;
  retryAfterMs?: unknown;
  kind?: unknown;
  code?: unknown;
}

export function classify(error: unknown): StepFailure {
  const e = (error ?? {}) as SelfDescribing & Partial<Error>;
  const message = error instanceof Error ? error.message : String(error);
  const kind = typeof e.kind === 'string' ? e.kind : typeof e.code === 'string' ? e.code : error instanceof Error ? error.name : 'unknown';
  return {
    kind,
    message,
    // Unknown errors (network, bugs in a dependency) are retried a bounded number of times.
    retryable: typeof e.retryable === 'boolean' ? e.retryable : true,
    ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}),
  };
}
