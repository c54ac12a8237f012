// The deliver step: hand the stored files to every sink of the company that has not taken them yet.
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { BatchToDeliver, Sink } from '../../../sinks/sink.js';
import { latestFiles } from '../../store/files.js';
import { batchTotals, deliveriesOf, recordDelivery } from '../../store/deliveries.js';
import { loadJournal } from '../../store/journal.js';
import type { Metrics } from '../../metrics.js';
import type { Outcome } from '../machine.js';
import type { BatchRow } from '../../store/batches.js';
import type { StepContext } from '../worker.js';

export interface DeliverDeps {
  ds: DataSource;
  dataDir: string;
  sinksFor: (companyId: string) => Sink[];
  metrics?: Metrics;
}

/**
 * The rows and totals the manifest states. Only a load writes a batch's rows, and a reconciled load committed its
 * figures of the stored rows with them: read from there, the rows are not scanned again (a second full scan, 0.2 s
 * at 200k lines). A mismatch may have been quarantined with its rows rolled back, an earlier load's rows staying
 * (then replayed): its figures are read from the rows.
 */
async function storedTotals(deps: DeliverDeps, batch: BatchRow): Promise<{ rows: number; totals: Record<string, string> }> {
  const rec = batch.reconciliation;
  return rec?.status === 'reconciled' && typeof rec.rows === 'number' && rec.totals ? { rows: rec.rows, totals: rec.totals } : batchTotals(deps.ds, batch.id);
}

async function describeBatch(deps: DeliverDeps, ctx: StepContext): Promise<BatchToDeliver | null> {
  const { batch } = ctx;
  const files = await latestFiles(deps.ds, batch.id);
  if (!files) return null;
  const local = (f: typeof files.original) => ({ name: f.name, path: join(deps.dataDir, f.storagePath), sha256: f.sha256, size: f.size });
  const { rows, totals } = await storedTotals(deps, batch);
  return {
    company: batch.companyId,
    concurBatchId: batch.concurBatchId,
    batchRowId: batch.id,
    batchName: batch.name ?? batch.concurBatchId,
    closeDate: batch.closedAt ?? ctx.now(),
    original: local(files.original),
    entries: files.entries.map(local),
    rows,
    totals,
    reconciliation: batch.reconciliation,
    journal: () => loadJournal(deps.ds, batch.id),
  };
}

export function deliverStep(deps: DeliverDeps) {
  return async function deliver(ctx: StepContext): Promise<Outcome> {
    const sinks = deps.sinksFor(ctx.company.id);
    const done = new Set((await deliveriesOf(deps.ds, ctx.batch.id)).filter((d) => d.state === 'delivered').map((d) => d.sink));
    const todo = sinks.filter((s) => !done.has(s.name));
    if (todo.length === 0) return { kind: 'delivered', sinks: sinks.map((s) => s.name) };
    const batch = await describeBatch(deps, ctx);
    if (!batch) return { kind: 'failed', error: { kind: 'missing-file', message: 'no fetched file recorded for this batch', retryable: false } };
    let permanent: string | null = null;
    const failed: string[] = [];
    for (const sink of todo) {
      const report = await sink.deliver(batch);
      const error = report.error ? `${report.error.message}${report.error.remotePath ? ` (${report.error.remotePath})` : ''}` : null;
      await recordDelivery(deps.ds, ctx.batch.id, sink.name, report.ok, report.files, error);
      if (report.ok) {
        const bytes = report.files.filter((f) => f.outcome === 'delivered').reduce((n, f) => n + f.size, 0);
        deps.metrics?.bytesDelivered.inc({ sink: sink.name }, bytes);
        // The sink logs each file it wrote; here the one fact is that the sink has the whole batch.
        ctx.logger.info('delivered', { sink: sink.name, files: report.files.length, alreadyThere: report.files.filter((f) => f.outcome === 'already-present').length });
      } else {
        ctx.logger.warn('delivery failed', { sink: sink.name, error, retryable: report.error?.retryable });
        deps.metrics?.deliveryFailures.inc({ company: ctx.company.id, sink: sink.name });
        failed.push(sink.name);
        if (report.error && !report.error.retryable) permanent = `${sink.name}: ${error}`;
      }
    }
    if (permanent) return { kind: 'failed', error: { kind: 'delivery', message: permanent, retryable: false } };
    if (failed.length) return { kind: 'delivery_pending', delivered: [...done, ...todo.map((s) => s.name).filter((n) => !failed.includes(n))], pending: failed };
    return { kind: 'delivered', sinks: sinks.map((s) => s.name) };
  };
}
