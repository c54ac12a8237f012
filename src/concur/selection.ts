// Which batches a company wants, and when to close them: pure decisions over a listed batch.
import { lastRunAtOrBefore } from '../model/schedule.js';
import type { ConcurConfig } from '../config/schema.js';
import type { BatchSummary } from './xml.js';

export type Selection = ConcurConfig['selection'];

/** `*` matches any run of characters, `?` one; case-insensitive, whole name. */
export function globMatches(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'is').test(name);
}

// Concur renamed "Expense Pay by Concur" to "… by SAP Concur"; both spellings name one method.
function normalise(text: string): string {
  return text.trim().replace(/\s+/g, ' ').replace(/\bby SAP Concur\b/i, 'by Concur').toLowerCase();
}

function listed(values: string[], value: string): boolean {
  return values.length === 0 || values.some((v) => normalise(v) === normalise(value));
}

/** Null when the batch passes every filter, else which filter rejected it. An empty filter admits everything. */
export function filterRejection(batch: BatchSummary, selection: Selection): string | null {
  if (!listed(selection.types, batch.type)) return `type ${JSON.stringify(batch.type)} not selected`;
  if (!listed(selection.paymentMethods, batch.paymentMethod)) return `payment method ${JSON.stringify(batch.paymentMethod)} not selected`;
  if (!listed(selection.currencies, batch.currency)) return `currency ${JSON.stringify(batch.currency)} not selected`;
  if (selection.batchNames.length > 0 && !selection.batchNames.some((p) => globMatches(p, batch.batchName))) {
    return `name ${JSON.stringify(batch.batchName)} matches no pattern`;
  }
  return null;
}

/** The latest moment at or before `now` that the cron `schedule` names in `timezone`. */
export function lastScheduledAt(now: Date, schedule: string, timezone: string): Date {
  return lastRunAtOrBefore(schedule, timezone, now);
}

export type BatchDecision =
  | { action: 'skip'; reason: string }
  | { action: 'wait'; reason: 'no-reports' | 'not-due' | 'requested-this-window' }
  /** Close now (v1.2); `window` is the schedule time this close belongs to — at most one close per window. */
  | { action: 'close'; window: Date }
  /** Closed by someone else: fetch it (v1.1 close for the File-Url), never close it with v1.2. */
  | { action: 'adopt' }
  /** Closed after our own close request: the pipeline carries on with it. */
  | { action: 'track' };

export interface DecisionContext {
  now: Date;
  timezone: string;
  config: ConcurConfig;
  /** What the pipeline already knows of this batch, or null for a batch seen for the first time (now). */
  known: { firstSeenAt: Date; closeRequestedAt: Date | null } | null;
}

export function decideBatch(batch: BatchSummary, status: 'OPEN' | 'CLOSED', ctx: DecisionContext): BatchDecision {
  const rejection = filterRejection(batch, ctx.config.selection);
  if (rejection) return { action: 'skip', reason: rejection };
  const { close } = ctx.config;
  if (status === 'CLOSED') {
    if (ctx.known?.closeRequestedAt) return { action: 'track' };
    return close.adoptClosedBatches ? { action: 'adopt' } : { action: 'skip', reason: 'closed by hand and adoptClosedBatches is off' };
  }
  if (close.onlyWhenCountPositive && batch.count <= 0) return { action: 'wait', reason: 'no-reports' };
  // "immediate": every moment is a close window (the demo and tests); otherwise the last schedule time.
  const window = close.schedule === 'immediate' ? ctx.now : lastScheduledAt(ctx.now, close.schedule, ctx.timezone);
  // A batch is due at the first schedule time after we first saw it: the fresh batch Concur opens when one
  // closes must not be closed at once, and a first start in mid-day waits for the next schedule time.
  if (window.getTime() < (ctx.known?.firstSeenAt ?? ctx.now).getTime()) return { action: 'wait', reason: 'not-due' };
  const requested = ctx.known?.closeRequestedAt;
  if (requested && requested.getTime() >= window.getTime()) return { action: 'wait', reason: 'requested-this-window' };
  return { action: 'close', window };
}
