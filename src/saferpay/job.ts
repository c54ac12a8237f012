// The job `saferpay-batch-close`: for each terminal whose close is due (decided from the database), one close per
// business day under one RequestId, committed before the first send and reused, with RetryIndicator raised, by every retry.
import { randomUUID } from 'node:crypto';
import { realSleep } from '../backoff.js';
import type { Logger } from '../log.js';
import { registerSecret } from '../log.js';
import type { Queryable } from '../db/sql.js';
import {
  beginAttempt,
  claimPending,
  dayCloses,
  finishClose,
  openDayClose,
  openForcedClose,
  recordAnswer,
  scheduleRetry,
  type AnswerFields,
  type CloseRow,
  type CloseState,
  type TerminalRef,
} from './store.js';
import type { Holder } from '../store/claims.js';
import { sendClose, type CloseAnswer, type FetchFn } from './client.js';
import { terminalLabel, type SaferpayConfig, type SaferpayTerminal } from './config.js';
import { decide, errorFields, MAX_ATTEMPTS, NO_ERROR, type Decision } from './decide.js';
import { latestOccurrence, localDate } from './schedule.js';

export const JOB_NAME = 'saferpay-batch-close';

export interface SaferpayDeps {
  ds: Queryable;
  config: SaferpayConfig;
  now: () => Date;
  fetch?: FetchFn;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  newRequestId?: () => string;
  logger: Logger;
  /** Whose claims these closes are (the process's claim session). */
  holder: Holder;
}

export interface CloseSummary {
  terminal: string;
  businessDay: string;
  requestId: string;
  /** `pending`: a retry is scheduled, or another runner holds the close. */
  outcome: CloseState;
  attempts: number;
  detail: string | null;
}

/** Long enough that nobody takes the close over while a send may still be answered. */
const leaseMs = (t: SaferpayTerminal) => t.requestTimeoutMs + 60_000;

const refOf = (t: SaferpayTerminal): TerminalRef => ({ terminalId: t.terminalId, terminalName: terminalLabel(t), customerId: t.customerId });

/** Closes every terminal whose close is due; cheap (two statements a terminal) when none is. */
export async function runSaferpayDue(deps: SaferpayDeps): Promise<CloseSummary[]> {
  const done = await Promise.all(deps.config.terminals.map((t) => closeIfDue(deps, t)));
  return done.filter((s): s is CloseSummary => s !== null);
}

async function closeIfDue(deps: SaferpayDeps, t: SaferpayTerminal): Promise<CloseSummary | null> {
  const now = deps.now();
  const { businessDay } = latestOccurrence(t.schedule, t.timezone, now);
  if (await openDayClose(deps.ds, refOf(t), businessDay, (deps.newRequestId ?? randomUUID)(), now)) {
    deps.logger.info('saferpay close opened', { job: JOB_NAME, terminal: terminalLabel(t), businessDay });
  }
  const row = await claimPending(deps.ds, t.terminalId, deps.holder, now, leaseMs(t));
  return row && work(deps, t, row);
}

export interface ByHandResult {
  summary: CloseSummary | null;
  /** Why nothing was sent (already closed today, in progress elsewhere, failed earlier). */
  note: string | null;
}

/**
 * A close by hand: the terminal's pending close if there is one, else today's (local date) unless it exists.
 * `forcedBy` opens an extra close with a new RequestId for today, recorded with who forced it.
 */
export async function closeByHand(deps: SaferpayDeps, t: SaferpayTerminal, forcedBy: string | null): Promise<ByHandResult> {
  const now = deps.now();
  const day = localDate(now, t.timezone);
  const label = terminalLabel(t);
  const newId = (deps.newRequestId ?? randomUUID)();
  if (forcedBy !== null) {
    const forced = await openForcedClose(deps.ds, refOf(t), day, newId, forcedBy, now);
    if (!forced) return { summary: null, note: `a close of terminal ${label} is in progress; a forced close waits until it has an outcome` };
    deps.logger.warn('saferpay close forced by hand', { job: JOB_NAME, terminal: label, businessDay: day, seq: forced.seq, requestId: forced.requestId, forcedBy });
  } else {
    await openDayClose(deps.ds, refOf(t), day, newId, now);
  }
  const row = await claimPending(deps.ds, t.terminalId, deps.holder, now, leaseMs(t), true);
  if (row) return { summary: await work(deps, t, row), note: null };
  const last = (await dayCloses(deps.ds, t.terminalId, day)).at(-1);
  if (!last) return { summary: null, note: `a close of terminal ${label} for an earlier day is being worked on by another runner` };
  const note =
    last.state === 'closed'
      ? `terminal ${label} was already closed for ${day} (RequestId ${last.requestId}); --force closes again`
      : last.state === 'already-closed'
        ? `terminal ${label}'s batch for ${day} was already closed by the Backoffice or the automatic closure; --force closes again`
        : last.state === 'pending'
        ? `the close of terminal ${label} for ${day} is being worked on by another runner`
        : `the close of terminal ${label} for ${day} ended ${last.state}; fix the cause, then --force opens a new close`;
  return { summary: summaryOf(t, last, last.state, last.attempts, null), note };
}

function summaryOf(t: SaferpayTerminal, row: CloseRow, outcome: CloseState, attempts: number, detail: string | null): CloseSummary {
  return { terminal: terminalLabel(t), businessDay: row.businessDay, requestId: row.requestId, outcome, attempts, detail };
}

/** What an answer tells the log: status, ErrorName/Behavior, or the first bytes of a foreign body. */
function answerLog(a: CloseAnswer): Record<string, unknown> {
  if (a.kind === 'unexpected') return { status: a.status, contentType: a.contentType, bodyStart: a.head };
  if (a.kind === 'error') return { status: a.status, errorName: a.errorName, behavior: a.behavior, errorMessage: a.message, errorDetail: a.details };
  if (a.kind === 'no-answer') return { noAnswer: a.reason, message: a.message };
  return { status: a.status };
}

/** Sends (and re-sends) a claimed close until it has an outcome, a later retry is scheduled, or the lease is lost. */
async function work(deps: SaferpayDeps, t: SaferpayTerminal, row: CloseRow): Promise<CloseSummary> {
  registerSecret(t.password);
  const { ds, holder } = deps;
  const log = deps.logger.child({ job: JOB_NAME, terminal: terminalLabel(t), businessDay: row.businessDay, requestId: row.requestId });
  const sleep = deps.sleep ?? realSleep;
  if (row.attempts >= MAX_ATTEMPTS) {
    // Every RetryIndicator was used by runs that died before an answer: nothing may be sent under this RequestId.
    const reason = `${MAX_ATTEMPTS} sends without a recorded answer; outcome unknown, check the Saferpay Backoffice`;
    await finishClose(ds, row.id, holder, 'failed', { ...NO_ERROR, lastError: reason }, deps.now());
    log.error('saferpay close failed: needs a person', { reason });
    return summaryOf(t, row, 'failed', row.attempts, reason);
  }
  for (let soon = 0; ; soon++) {
    const attempt = await beginAttempt(ds, row.id, holder, deps.now(), leaseMs(t));
    if (attempt === null) {
      log.warn('saferpay close taken over by another runner (lease lost)');
      return summaryOf(t, row, 'pending', row.attempts, 'lease lost');
    }
    const retryIndicator = attempt - 1;
    const answer = await sendClose(deps.fetch ?? fetch, t, { requestId: row.requestId, retryIndicator });
    const d: Decision = decide(answer, { attempts: attempt, soonRetriesInRun: soon }, { ...t.retry, alreadyClosedErrorNames: t.alreadyClosedErrorNames }, deps.random);
    const reason = d.action === 'closed' ? null : d.reason;
    const fields: AnswerFields = { ...errorFields(answer), lastError: reason };
    const now = deps.now();
    if (d.action === 'closed') {
      await finishClose(ds, row.id, holder, 'closed', { ...NO_ERROR, httpStatus: fields.httpStatus, lastError: null }, now);
      log.info('saferpay batch closed', { retryIndicator, attempts: attempt });
      return summaryOf(t, row, 'closed', attempt, null);
    }
    if (d.action === 'stop') {
      await finishClose(ds, row.id, holder, d.outcome, fields, now);
      // The close is final: each of these alerts once for the business day.
      const what =
        d.outcome === 'already-closed'
          ? 'saferpay batch already closed by someone else (Backoffice or automatic closure); erp-sync did not close it: switch off Automatic closure'
          : d.outcome === 'config-error'
            ? 'saferpay close failed: configuration error'
            : 'saferpay close failed: needs a person';
      log.error(what, { alert: true, outcome: d.outcome, retryIndicator, reason, ...answerLog(answer) });
      return summaryOf(t, row, d.outcome, attempt, reason);
    }
    if (!d.inRun) {
      const nextAt = new Date(now.getTime() + d.delayMs);
      await scheduleRetry(ds, row.id, holder, nextAt, fields);
      log.warn('saferpay close will be retried later', { retryIndicator, reason, nextAttemptAt: nextAt.toISOString(), ...answerLog(answer) });
      return summaryOf(t, row, 'pending', attempt, reason);
    }
    await recordAnswer(ds, row.id, holder, fields, new Date(now.getTime() + d.delayMs + leaseMs(t)));
    log.warn('saferpay close will be retried', { retryIndicator, reason, delayMs: d.delayMs, ...answerLog(answer) });
    await sleep(d.delayMs);
  }
}
