// Discovery for one company: list OPEN and CLOSED batches, keep the selected ones the pipeline doesn't know yet.
import type { DataSource } from 'typeorm';
import type { CompanyConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { BatchSummary, ConcurClient } from '../concur/client.js';
import { decideBatch } from '../concur/selection.js';
import { knownConcurBatchIds, advanceNextAttempt, upsertDiscovered, waitingToClose } from '../store/batches.js';
import { rescheduledAttempt } from './close-due.js';
import { nextRunAfter } from '../model/schedule.js';

/** How a company's listing went, as the daemon and run-once report it. */
export type DiscoveryOutcome = { outcome: 'done' | 'not-due' } | { outcome: 'failed'; error: string } | { outcome: 'held'; heldBy: string | null };

export interface DiscoveryResult {
  listed: number;
  added: number;
  adopted: number;
  skipped: number;
  /** Waiting batches the current configuration makes due sooner than the time stored for them. */
  rescheduled: number;
}

export async function discover(ds: DataSource, client: Pick<ConcurClient, 'listBatches'>, company: CompanyConfig, now: Date, logger: Logger): Promise<DiscoveryResult> {
  const result: DiscoveryResult = { listed: 0, added: 0, adopted: 0, skipped: 0, rescheduled: 0 };
  const known = await knownConcurBatchIds(ds, company.id);
  for (const status of ['OPEN', 'CLOSED'] as const) {
    // The server may ignore the status filter: keep only what the asked status can mean.
    const batches: BatchSummary[] = await client.listBatches(status);
    result.listed += batches.length;
    for (const b of batches) {
      const isKnown = known.has(b.concurBatchId);
      if (isKnown && status === 'CLOSED') continue;
      const decision = decideBatch(b, status, { now, timezone: company.timezone, config: company.concur, known: null });
      if (decision.action === 'skip') {
        if (!isKnown) logger.debug('batch not selected', { batch: b.concurBatchId, reason: decision.reason });
        result.skipped++;
        continue;
      }
      if (decision.action === 'track') continue;
      const adopt = decision.action === 'adopt';
      const added = await upsertDiscovered(ds, {
        companyId: company.id,
        concurBatchId: b.concurBatchId,
        name: b.batchName,
        batchUrl: b.batchUrl,
        type: b.type,
        paymentMethod: b.paymentMethod,
        currency: b.currency,
        batchTotal: b.batchTotal,
        paymentDemands: b.count,
        state: adopt ? 'closed' : 'discovered',
        nextAttemptAt: adopt || decision.action === 'close' ? now : nextRunAfter(company.concur.close.schedule, company.timezone, now),
        stateData: adopt ? { adopted: true } : { firstSeenAt: now.toISOString() },
      });
      if (added) {
        known.add(b.concurBatchId);
        if (adopt) result.adopted++;
        else result.added++;
        logger.info(adopt ? 'closed batch adopted' : 'batch discovered', { batch: b.concurBatchId, name: b.batchName, count: b.count, total: b.batchTotal, currency: b.currency });
      }
    }
  }
  result.rescheduled = await rescheduleWaiting(ds, company, now, logger);
  return result;
}

/** Due-ness comes from the current configuration: a batch waiting under an older one is pulled forward (logged once). */
async function rescheduleWaiting(ds: DataSource, company: CompanyConfig, now: Date, logger: Logger): Promise<number> {
  let n = 0;
  for (const b of await waitingToClose(ds, company.id, now)) {
    const at = rescheduledAttempt(b, company, now);
    if (at && (await advanceNextAttempt(ds, b.id, at))) n++;
  }
  if (n) logger.info('the configuration changed: waiting batches rescheduled', { batches: n, closeSchedule: company.concur.close.schedule, timezone: company.timezone });
  return n;
}
