// The per-batch state machine as pure functions: (batch, outcome of a step, policy, now) → transition.
// The worker commits each transition with its audit event; side effects live in src/pipeline/steps.
import type { BatchState, Step } from '../model/batch-state.js';
import { backoffDelay, type BackoffPolicy } from '../backoff.js';
import type { Reconciliation } from '../model/reconciliation.js';
import type { Transition } from '../model/transition.js';

export interface BatchView {
  state: BatchState;
  attempts: number;
  paymentDemands: number | null;
  stateData: Record<string, unknown>;
}

export interface StepFailure {
  /** Short machine-readable kind for metrics (e.g. http_503, network, parse, conflict). */
  kind: string;
  message: string;
  retryable: boolean;
  /** The upstream asked for this delay (Retry-After). */
  retryAfterMs?: number;
}

export type Outcome =
  | { kind: 'close_not_due'; nextDueAt: Date }
  | { kind: 'close_accepted'; jobQueueKey: string | null }
  | { kind: 'close_empty' }
  | { kind: 'close_unconfirmed'; message: string }
  | { kind: 'seen_closed' }
  | { kind: 'not_closed_yet' }
  | { kind: 'file_url'; url: string }
  | { kind: 'fetched'; fileId: string; sha256: string; size: number }
  | { kind: 'loaded'; rows: number; replaced: number; reconciliation: Reconciliation }
  | { kind: 'delivery_pending'; delivered: string[]; pending: string[] }
  | { kind: 'delivered'; sinks: string[] }
  | { kind: 'invalid'; reason: string }
  | { kind: 'failed'; error: StepFailure };

export interface Policy {
  backoff: BackoffPolicy;
  /** "does not contain any reports": try again no sooner than this. */
  emptyBatchWaitMs: number;
  /** How long to watch for CLOSED after a close request before a new close window opens. */
  closeWatchTimeoutMs: number;
  /** Interval between list checks while a close is in progress. */
  closeWatchIntervalMs: number;
  reconciliation: 'quarantine' | 'load-and-flag';
  random?: () => number;
}

const after = (now: Date, ms: number) => new Date(now.getTime() + ms);

function move(state: BatchState, event: string, now: Date, set: Transition['set'] = {}, detail: Record<string, unknown> = {}): Transition {
  return { state, event, detail, nextAttemptAt: now, attempts: 0, lastError: null, set };
}

/** The transition committed before the v1.2 close is sent, so a crash never leads to a second close in the window. */
export function closeIntent(now: Date): Transition {
  return move('closing', 'close_requested', now, { closeRequestedAt: now, stateData: { closeRequestedAt: now.toISOString() } }, {});
}

/**
 * A step begun `limit` times without ever reaching a transition: the process stopped inside it each time (killed,
 * out of memory). Quarantine instead of a crash loop; null while the step may still be tried.
 */
export function unfinishedStarts(batch: { stepStarted: string | null; stepStarts: number }, step: Step, limit: number): Outcome | null {
  if (batch.stepStarted !== step || batch.stepStarts < limit) return null;
  return { kind: 'invalid', reason: `step ${step} did not finish in ${batch.stepStarts} attempts (the process stopped each time)` };
}

function failure(batch: BatchView, step: Step, error: StepFailure, now: Date, policy: Policy): Transition {
  const attempts = batch.attempts + 1;
  if (!error.retryable || attempts >= policy.backoff.maxAttempts) {
    const reason = error.retryable ? `${step} failed ${attempts} times; last: ${error.message}` : `${step}: ${error.message}`;
    return {
      state: 'quarantined',
      event: 'quarantined',
      detail: { step, error: error.message, kind: error.kind },
      nextAttemptAt: null,
      attempts,
      lastError: error.message,
      set: { quarantineReason: reason },
    };
  }
  const delay = Math.max(error.retryAfterMs ?? 0, backoffDelay(attempts, policy.backoff, policy.random));
  return {
    state: batch.state,
    event: 'retry_scheduled',
    detail: { step, error: error.message, kind: error.kind, delayMs: delay },
    nextAttemptAt: after(now, delay),
    attempts,
    lastError: error.message,
    set: {},
  };
}

export function transition(batch: BatchView, step: Step, outcome: Outcome, now: Date, policy: Policy): Transition {
  switch (outcome.kind) {
    case 'failed':
      return failure(batch, step, outcome.error, now, policy);
    case 'invalid':
      return {
        state: 'quarantined',
        event: 'quarantined',
        detail: { step, reason: outcome.reason },
        nextAttemptAt: null,
        attempts: batch.attempts,
        lastError: outcome.reason,
        set: { quarantineReason: outcome.reason },
      };
    case 'close_not_due':
      return { ...move(batch.state, 'close_deferred', now, {}, { nextDueAt: outcome.nextDueAt.toISOString() }), nextAttemptAt: outcome.nextDueAt };
    case 'close_accepted':
      return {
        ...move('closing', 'close_accepted', now, { stateData: { ...batch.stateData, jobQueueKey: outcome.jobQueueKey } }, { jobQueueKey: outcome.jobQueueKey }),
        nextAttemptAt: after(now, policy.closeWatchIntervalMs),
      };
    case 'close_unconfirmed':
      // The request may or may not have reached Concur: watch the list rather than close again.
      return { ...move('closing', 'close_unconfirmed', now, {}, { error: outcome.message }), nextAttemptAt: after(now, policy.closeWatchIntervalMs) };
    case 'close_empty':
      return { ...move('empty', 'batch_empty', now, {}, { waitMs: policy.emptyBatchWaitMs }), nextAttemptAt: after(now, policy.emptyBatchWaitMs) };
    case 'seen_closed':
      return move('closed', 'closed', now, { closedAt: now });
    case 'not_closed_yet': {
      const requestedAt = new Date(String(batch.stateData.closeRequestedAt ?? now.toISOString()));
      if (now.getTime() - requestedAt.getTime() >= policy.closeWatchTimeoutMs) {
        return move('discovered', 'close_watch_timed_out', now, {}, { requestedAt: requestedAt.toISOString() });
      }
      return { ...move('closing', 'close_pending', now), attempts: batch.attempts + 1, nextAttemptAt: after(now, Math.min(policy.closeWatchIntervalMs * 2 ** Math.min(batch.attempts, 5), 5 * 60_000)) };
    }
    case 'file_url':
      return move('file_ready', 'file_url_obtained', now, { fileUrl: outcome.url });
    case 'fetched':
      return move('fetched', 'fetched', now, { fetchedAt: now }, { fileId: outcome.fileId, sha256: outcome.sha256, size: outcome.size });
    case 'loaded': {
      const rec = outcome.reconciliation;
      if (rec.status === 'mismatch' && policy.reconciliation === 'quarantine') {
        const reason = `reconciliation mismatch: ${JSON.stringify(rec.difference)}`;
        return { ...move('quarantined', 'quarantined', now, { reconciliation: rec, quarantineReason: reason }, { reason }), nextAttemptAt: null };
      }
      return move('loaded', 'loaded', now, { loadedAt: now, reconciliation: rec }, { rows: outcome.rows, replaced: outcome.replaced, reconciliation: rec.status });
    }
    case 'delivery_pending':
      return failure(batch, step, { kind: 'delivery', message: `waiting for ${outcome.pending.join(', ')}`, retryable: true }, now, policy);
    case 'delivered':
      return { ...move('done', 'done', now, { deliveredAt: now, doneAt: now }, { sinks: outcome.sinks }), nextAttemptAt: null };
  }
}
