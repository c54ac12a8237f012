// Xero follow-up: the scheduled read-back of posted batch payments (Status, IsReconciled), and the reversal
// (`erp-sync reverse <batch> --sink xero`), which deletes the batch payment when an accountant asks for it.
import type { DataSource } from 'typeorm';
import type { XeroClient } from './client.js';
import { answerMessage, messagesOf } from './client.js';
import { idempotencyKey } from './mapping.js';
import type { Logger } from '../../src/log.js';
import { paymentsToCheck, readXeroPayment, recordReversal, saveChecked } from './store.js';

/** Builds the Xero client of a company's sink; null when the company has no such xero sink. */
export type XeroClientFor = (companyId: string, sink: string) => XeroClient | null;

export interface XeroCheckDeps {
  ds: DataSource;
  clientFor: XeroClientFor;
  logger: Logger;
  now: () => number;
}

/**
 * Reads back every posted, not yet reconciled batch payment last checked more than `intervalMs` ago and stores
 * its Status and IsReconciled. The daemon calls it periodically (e.g. every 15 minutes); it never throws for one
 * payment's failure.
 */
export async function checkXeroPayments(deps: XeroCheckDeps, opts: { intervalMs?: number; limit?: number } = {}): Promise<{ checked: number; failed: number }> {
  const now = deps.now();
  const due = await paymentsToCheck(deps.ds, new Date(now - (opts.intervalMs ?? 15 * 60_000)), opts.limit ?? 100);
  let checked = 0;
  let failed = 0;
  for (const p of due) {
    const client = deps.clientFor(p.companyId, p.sink);
    try {
      if (!client) throw new Error(`company ${p.companyId} has no xero sink ${p.sink}`);
      const answer = await client.call('read batch payment', 'GET', `/BatchPayments/${encodeURIComponent(p.batchPaymentId!)}`);
      const bp = Array.isArray(answer.json.BatchPayments) ? (answer.json.BatchPayments[0] as Record<string, unknown> | undefined) : undefined;
      if (answer.status === 404 || !bp) throw new Error(`Xero does not know batch payment ${p.batchPaymentId}`);
      const isReconciled = bp.IsReconciled === true || bp.IsReconciled === 'true';
      await saveChecked(deps.ds, p.batchRowId, p.sink, { status: String(bp.Status), isReconciled, at: new Date(now) });
      if (bp.Status !== p.status || isReconciled !== p.isReconciled) deps.logger.info('Xero batch payment changed', { batchId: p.batchRowId, batchPaymentId: p.batchPaymentId, status: bp.Status, isReconciled });
      checked++;
    } catch (error) {
      failed++;
      deps.logger.warn('Xero batch payment check failed', { batchId: p.batchRowId, sink: p.sink, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { checked, failed };
}

export interface ReverseTarget {
  id: string;
  companyId: string;
  concurBatchId: string;
  state: string;
}

/** Deletes the batch's batch payment in Xero and records it (and who asked) in the audit trail; a refusal is returned as text. */
export async function reverseXeroBatch(ds: DataSource, client: XeroClient, sink: string, batch: ReverseTarget, actor: string): Promise<string | null> {
  const row = await readXeroPayment(ds, batch.id, sink);
  if (!row?.batchPaymentId) return `batch ${batch.companyId}/${batch.concurBatchId} has no Xero batch payment recorded for sink ${sink}`;
  if (row.status === 'DELETED') return `batch payment ${row.batchPaymentId} is already deleted`;
  const answer = await client.call('delete batch payment', 'POST', `/BatchPayments/${encodeURIComponent(row.batchPaymentId)}`, {
    body: JSON.stringify({ Status: 'DELETED' }),
    idempotencyKey: idempotencyKey(batch.companyId, batch.concurBatchId, `delete-g${row.generation}`, row.batchPaymentId),
  });
  if (answer.status !== 200) {
    const elements = Array.isArray(answer.json.Elements) ? (answer.json.Elements as Array<Record<string, unknown>>) : [];
    const why = elements.flatMap((e) => messagesOf(e.ValidationErrors)).join('; ') || answerMessage(answer);
    return `Xero refused to delete batch payment ${row.batchPaymentId}: ${why}`;
  }
  await ds.transaction((m) => recordReversal(m, { batchRowId: batch.id, sink, companyId: batch.companyId, batchPaymentId: row.batchPaymentId!, actor, batchState: batch.state }));
  return null;
}
