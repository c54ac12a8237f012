// An operator's actions on one batch (from the CLI or the console): decided here, audited with who asked, and
// refused with a reason when the batch is not in a state the action applies to.
import type { DataSource } from 'typeorm';
import type { CompanyConfig } from '../config/schema.js';
import { reopenForDelivery, requeue, stateBeforeQuarantine, type BatchRow } from '../store/batches.js';

/** An action's answer: null to go on, a refusal (exit 1), or a usage error (exit 2). */
export type Refusal = string | { usage: string } | null;

/** The sink names a company delivers to: its configured sinks, or the local drop's `sftp`. */
export function sinkNames(companies: readonly CompanyConfig[], companyId: string): string[] {
  const sinks = companies.find((c) => c.id === companyId)?.sinks ?? [];
  return sinks.length ? sinks.map((s) => s.name) : ['sftp'];
}

/** Sends a batch back to delivery (to one sink, or every sink when null), audited with who asked (`by`). */
export async function replayBatch(ds: DataSource, companies: readonly CompanyConfig[], b: BatchRow, sink: string | null, by: string): Promise<Refusal> {
  const known = sinkNames(companies, b.companyId);
  if (sink !== null && !known.includes(sink)) return { usage: `company ${b.companyId} has no sink "${sink}" (configured: ${known.join(', ')})` };
  return (await reopenForDelivery(ds, b.id, sink, by)) ? null : `batch ${b.companyId}/${b.concurBatchId} is ${b.state}: only a loaded, done or quarantined batch with loaded rows can be delivered again`;
}

/** Puts a quarantined batch back to work at the state it was quarantined from, audited with who asked (`by`). */
export async function retryBatch(ds: DataSource, b: BatchRow, reason: string, by: string): Promise<Refusal> {
  if (b.state !== 'quarantined') return `batch ${b.companyId}/${b.concurBatchId} is ${b.state}, not quarantined`;
  const from = (await stateBeforeQuarantine(ds, b.id)) ?? 'discovered';
  return (await requeue(ds, b.id, from, reason, by)) ? null : `batch ${b.companyId}/${b.concurBatchId} changed state meanwhile`;
}
