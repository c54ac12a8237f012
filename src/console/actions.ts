// The console's actions on a batch: what each will do (shown on its confirmation page, before anything happens),
// and doing it through the same functions as the command line (retry, replay, Xero reverse), audited with who asked.
import type { DataSource } from 'typeorm';
import type { CompanyConfig } from '../config/schema.js';
import type { XeroClient } from '../../sinks/xero/client.js';
import { retryBatch, replayBatch, sinkNames, type Refusal } from '../pipeline/operator-actions.js';
import { reverseXeroBatch } from '../../sinks/xero/payments.js';
import { stateBeforeQuarantine, type BatchRow } from '../store/batches.js';
import { readXeroPayment } from '../../sinks/xero/store.js';

export interface ActionDeps {
  ds: DataSource;
  companies: readonly CompanyConfig[];
  xeroClientFor: (companyId: string, sink: string) => XeroClient | null;
  /** Wakes the daemon so a requeued batch is worked on now, not at the next poll. */
  poke: () => void;
}

export type Action = 'retry' | 'replay' | 'reverse';

/** What a confirmation page says: the effects, or why the action cannot be done now. */
export type Plan = { effects: string[]; sinks?: string[] } | { refusal: string };

const textOf = (r: Refusal): string | null => (r === null ? null : typeof r === 'string' ? r : r.usage);

const RESUMES: Record<string, string> = {
  loaded: 'Its stored rows are delivered again to every sink that does not have them yet.',
  fetched: 'Its stored file is parsed and loaded again (replacing its rows) and reconciled again.',
};

export async function planAction(deps: ActionDeps, action: Action, b: BatchRow, sink: string | null): Promise<Plan> {
  if (action === 'retry') {
    if (b.state !== 'quarantined') return { refusal: `The batch is ${b.state}, not quarantined: there is nothing to retry.` };
    const from = (await stateBeforeQuarantine(deps.ds, b.id)) ?? 'discovered';
    return {
      effects: [
        `The batch leaves quarantine and goes back to "${from}", the state it was quarantined from, with its attempts reset; the daemon works on it at once.`,
        RESUMES[from] ?? 'It continues with Concur from there (close, file link, download), then loads and delivers as usual.',
        'If the cause of the quarantine is still there, it ends in quarantine again with the reason.',
      ],
    };
  }
  if (action === 'replay') {
    if (!['loaded', 'done', 'quarantined'].includes(b.state)) return { refusal: `The batch is ${b.state}: only a loaded, done or quarantined batch with loaded rows can be delivered again.` };
    return {
      sinks: sinkNames(deps.companies, b.companyId),
      effects: [
        'The batch goes back to "loaded" and the chosen sink (or every sink) is marked to be delivered again; the daemon delivers at once.',
        'An SFTP sink leaves files that are already there with the same bytes as they are; Xero and QI Tech recognise an earlier posting by its reference.',
        'When every sink has the batch, it is done again.',
      ],
    };
  }
  const payment = sink ? await readXeroPayment(deps.ds, b.id, sink) : null;
  if (!sink || !deps.xeroClientFor(b.companyId, sink)) return { refusal: `Company ${b.companyId} has no Xero sink named "${sink ?? ''}".` };
  if (!payment?.batchPaymentId) return { refusal: `No Xero batch payment is recorded for this batch and sink ${sink}.` };
  if (payment.status === 'DELETED') return { refusal: `Batch payment ${payment.batchPaymentId} is already deleted.` };
  return {
    effects: [
      `erp-sync asks Xero to delete batch payment ${payment.batchPaymentId} (sink ${sink}): Xero sets it to DELETED and the bills it paid are unpaid again.`,
      'The batch itself stays as it is; a later "Replay to sink…" posts it anew under fresh references.',
      'This cannot be undone from erp-sync.',
    ],
  };
}

/** Does the action; null when done, else why not (the batch moved on meanwhile, or the payment system refused). */
export async function doAction(deps: ActionDeps, action: Action, b: BatchRow, sink: string | null, by: string): Promise<string | null> {
  if (action === 'retry') return done(deps, textOf(await retryBatch(deps.ds, b, 'console retry', by)));
  if (action === 'replay') return done(deps, textOf(await replayBatch(deps.ds, deps.companies, b, sink, by)));
  const client = sink ? deps.xeroClientFor(b.companyId, sink) : null;
  if (!sink || !client) return `Company ${b.companyId} has no Xero sink named "${sink ?? ''}".`;
  return reverseXeroBatch(deps.ds, client, sink, b, by);
}

function done(deps: ActionDeps, refusal: string | null): string | null {
  if (refusal === null) deps.poke();
  return refusal;
}
