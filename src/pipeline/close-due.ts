// When a waiting batch's close is next worth trying, decided from the current configuration alone (a pure function):
// the worker defers a close that is not due yet, and discovery pulls a batch forward when a changed configuration
// (a new close schedule, a changed selection) makes it due sooner than the time stored under the old one.
import type { CompanyConfig } from '../config/schema.js';
import type { BatchSummary } from '../concur/client.js';
import type { BatchRow } from '../store/batches.js';
import { decideBatch } from '../concur/selection.js';
import { nextRunAfter } from '../model/schedule.js';

function summaryOf(b: BatchRow): BatchSummary {
  return {
    concurBatchId: b.concurBatchId, batchName: b.name ?? '', batchTotal: b.batchTotal ?? '0', currency: b.currency ?? '', count: b.paymentDemands ?? 0,
    type: b.type ?? '', paymentMethod: b.paymentMethod ?? '', batchUrl: b.batchUrl ?? '',
  };
}

/** Null when the batch may be closed now; otherwise when to look again (close schedule, no reports, already requested). */
export function closeNotDueUntil(batch: BatchRow, company: CompanyConfig, now: Date): Date | null {
  const firstSeenAt = typeof batch.stateData.firstSeenAt === 'string' ? new Date(batch.stateData.firstSeenAt) : now;
  const requested = typeof batch.stateData.closeRequestedAt === 'string' ? new Date(batch.stateData.closeRequestedAt) : null;
  const decision = decideBatch(summaryOf(batch), 'OPEN', { now, timezone: company.timezone, config: company.concur, known: { firstSeenAt, closeRequestedAt: requested } });
  if (decision.action === 'close') return null;
  // With "immediate" every moment is a window: look again when the list has been read anew.
  const schedule = company.concur.close.schedule === 'immediate' ? company.concur.discovery.schedule : company.concur.close.schedule;
  return nextRunAfter(schedule === 'immediate' ? '* * * * *' : schedule, company.timezone, now);
}

/** The earlier next attempt the current configuration gives a waiting batch, or null when its stored one stands. */
export function rescheduledAttempt(batch: BatchRow, company: CompanyConfig, now: Date): Date | null {
  const due = closeNotDueUntil(batch, company, now) ?? now;
  return batch.nextAttemptAt && batch.nextAttemptAt.getTime() > due.getTime() ? due : null;
}
