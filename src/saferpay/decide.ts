// What to do after an answer: pure. Saferpay says to decide on ErrorName and Behavior only (messages change).
import { backoffDelay } from '../backoff.js';
import type { CloseAnswer } from './client.js';
import type { SaferpayTerminal } from './config.js';
import type { ErrorFields } from '../model/saferpay-error.js';

/** RetryIndicator runs 0..9: ten sends of one RequestId at most. */
export const MAX_ATTEMPTS = 10;

export type RetryPolicy = SaferpayTerminal['retry'] & { alreadyClosedErrorNames?: readonly string[] };

/** already-closed: someone else (the Backoffice, the automatic closure) closed the batch first. */
export type Outcome = 'closed' | 'already-closed' | 'failed' | 'config-error';

export type Decision =
  | { action: 'closed' }
  /** Same RequestId, RetryIndicator raised; `inRun`: wait here, else the next attempt is scheduled in the database. */
  | { action: 'retry'; delayMs: number; inRun: boolean; reason: string }
  | { action: 'stop'; outcome: Exclude<Outcome, 'closed'>; reason: string };

/** Error names that mean our request or credentials are wrong, whatever the Behavior: a person must fix the configuration. */
const CONFIGURATION_ERRORS = new Set(['AUTHENTICATION_FAILED', 'PERMISSION_DENIED', 'VALIDATION_FAILED']);
const STOP_BEHAVIORS = new Set(['DO_NOT_RETRY', 'ABORT', 'OTHER_MEANS']);

type Verdict = { retry: 'soon' | 'later'; reason: string } | { stop: Exclude<Outcome, 'closed'>; reason: string };

function verdict(a: Exclude<CloseAnswer, { kind: 'ok' }>, alreadyClosed: readonly string[]): Verdict {
  if (a.kind === 'no-answer') return { retry: 'soon', reason: `${a.reason}: ${a.message}` };
  if (a.status === 401) return { stop: 'config-error', reason: `401: authentication failed; check the JSON-API user and password` };
  if (a.kind === 'unexpected') {
    const what = `HTTP ${a.status} with a body that is not Saferpay's JSON (${a.contentType ?? 'no content type'})`;
    // A proxy's 5xx page or a success we cannot read says nothing about the close: ask again under the same RequestId.
    if (a.status >= 500 || a.status < 300) return { retry: 'soon', reason: what };
    if (a.status === 408 || a.status === 429) return { retry: 'later', reason: what };
    return { stop: 'failed', reason: what };
  }
  const named = `${a.errorName ?? 'no ErrorName'}/${a.behavior ?? 'no Behavior'} (HTTP ${a.status})`;
  if (a.errorName && alreadyClosed.includes(a.errorName)) return { stop: 'already-closed', reason: `${named}: the batch was already closed (Backoffice or automatic closure)` };
  if (a.errorName && CONFIGURATION_ERRORS.has(a.errorName)) return { stop: 'config-error', reason: named };
  if (a.behavior === 'RETRY') return { retry: 'soon', reason: named };
  if (a.behavior === 'RETRY_LATER') return { retry: 'later', reason: named };
  if (a.behavior && STOP_BEHAVIORS.has(a.behavior)) return { stop: 'failed', reason: named };
  return { stop: 'failed', reason: `${named}: unknown Behavior, not retried` };
}

export interface AttemptContext {
  /** Sends of this RequestId so far, the one answered included. */
  attempts: number;
  /** Quick retries already made in this run. */
  soonRetriesInRun: number;
}

export function decide(answer: CloseAnswer, at: AttemptContext, policy: RetryPolicy, random: () => number = Math.random): Decision {
  if (answer.kind === 'ok') return { action: 'closed' };
  const v = verdict(answer, policy.alreadyClosedErrorNames ?? []);
  if ('stop' in v) return { action: 'stop', outcome: v.stop, reason: v.reason };
  if (at.attempts >= MAX_ATTEMPTS) return { action: 'stop', outcome: 'failed', reason: `${v.reason}; gave up after ${MAX_ATTEMPTS} attempts (RetryIndicator 9 is the last)` };
  if (v.retry === 'soon' && at.soonRetriesInRun < policy.soonAttempts) {
    const delayMs = backoffDelay(at.soonRetriesInRun + 1, { baseMs: policy.soonDelayMs, maxMs: Math.max(policy.soonDelayMs, policy.laterDelayMs) }, random);
    return { action: 'retry', delayMs, inRun: true, reason: v.reason };
  }
  return { action: 'retry', delayMs: policy.laterDelayMs, inRun: false, reason: v.reason };
}


export const NO_ERROR: ErrorFields = { errorName: null, behavior: null, httpStatus: null, errorMessage: null, errorDetail: null };

/** What Saferpay said in an answer (nulls for answers without it). */
export function errorFields(a: CloseAnswer): ErrorFields {
  const none = NO_ERROR;
  if (a.kind === 'error') return { errorName: a.errorName, behavior: a.behavior, httpStatus: a.status, errorMessage: a.message, errorDetail: a.details.length ? a.details : null };
  if (a.kind === 'unexpected' || a.kind === 'ok') return { ...none, httpStatus: a.status };
  return { ...none, errorName: a.reason === 'timeout' ? 'TIMEOUT' : 'NETWORK' };
}
