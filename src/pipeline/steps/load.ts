// The load step: parse the stored file, COPY its rows in place of the batch's earlier ones, reconcile what was
// stored, and commit the state in that same transaction.
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { Transaction } from '../../model/transaction.js';
import { Money } from '../../money.js';
import { chooseProfile, loadedParts, openBatchFile, openExtractedEntries, type BatchFilePart, type ParseLimits, type ZipLimits } from '../../../parsers/index.js';
import { loadTransactions, type LoadResult } from '../../store/load.js';
import { latestFiles } from '../../store/files.js';
import { appendEvent } from '../../store/batches.js';
import { faultPoint } from '../../faults.js';
import { progressReporter } from '../../progress.js';
import type { BatchRow } from '../../store/batches.js';
import type { Outcome } from '../machine.js';
import type { Transition } from '../../model/transition.js';
import { partFigures, reconcile, type ListFigures } from '../reconcile.js';
import type { StepContext, StepResult } from '../worker.js';

export interface LoadDeps {
  ds: DataSource;
  dataDir: string;
  zipLimits: ZipLimits;
  parseLimits: ParseLimits;
}

/** Thrown inside the load transaction to roll the rows back when the policy quarantines the batch. */
class RollbackForQuarantine extends Error {
  constructor(
    readonly outcome: Outcome,
    readonly differs: Record<string, unknown> | null,
  ) {
    super('quarantined during load');
  }
}

async function* allRows(parts: BatchFilePart[], ctx: StepContext): AsyncGenerator<Transaction> {
  let n = 0;
  const progress = progressReporter(ctx.logger, 'loading', 'rows');
  const load = loadedParts(parts);
  for (const part of parts) {
    const keep = load(part);
    for await (const row of part.rows()) {
      if (!keep) continue;
      yield row;
      progress(++n);
    }
  }
  // Crash-suite fault point: inside the COPY (earlier chunks are on the server), before the commit.
  faultPoint('load:mid-copy', ctx.batch.concurBatchId);
}

function listFigures(batch: BatchRow): ListFigures {
  return { currency: batch.currency, total: batch.batchTotal, count: batch.paymentDemands };
}

/** A re-load that stores other figures than the load it replaces: never expected, so a person must know. */
export function reloadDifference(previous: LoadResult['previous'], current: { rows: number; totals: Record<string, string> }): Record<string, unknown> | null {
  if (previous.rows === 0) return null;
  const currencies = new Set([...Object.keys(previous.totals), ...Object.keys(current.totals)]);
  const same = previous.rows === current.rows && [...currencies].every((c) => new Money(previous.totals[c] ?? 0).eq(current.totals[c] ?? 0));
  return same ? null : { previous, current };
}

export function loadStep(deps: LoadDeps) {
  return async function load(ctx: StepContext): Promise<StepResult> {
    const { batch, company } = ctx;
    const files = await latestFiles(deps.ds, batch.id);
    if (!files) return { kind: 'failed', error: { kind: 'missing-file', message: 'no fetched file recorded for this batch', retryable: false } };
    const { original } = files;
    const facts = { type: batch.type, paymentMethod: batch.paymentMethod, fileName: original.name };
    const opts = {
      fileName: original.name,
      sha256: original.sha256,
      csvProfile: chooseProfile(company, facts)?.profile,
      entryCsvProfile: (entryName: string) => chooseProfile(company, { ...facts, entryName }),
      zipLimits: deps.zipLimits,
      parseLimits: deps.parseLimits,
      defaultCurrency: batch.currency,
    };
    // A ZIP's entries were extracted, checked and hashed by the fetch: parsed from there, the ZIP is not read again.
    const parts =
      original.kind === 'zip'
        ? await openExtractedEntries(files.entries.map((e) => ({ name: e.name, path: join(deps.dataDir, e.storagePath), sha256: e.sha256, bytes: e.size })), original.name, opts)
        : await openBatchFile(join(deps.dataDir, original.storagePath), opts);
    const warnings = parts.flatMap((p) => (p.warning ? [p.warning] : []));
    for (const w of warnings) ctx.logger.warn('file kept and delivered but not loaded', { reason: w });
    const fileIds = new Map([[original.name, original.id], ...files.entries.map((e) => [e.name, e.id] as const)]);
    try {
      let committed: Transition | null = null;
      const input = { companyId: batch.companyId, batchRowId: batch.id, fileIdOf: (name: string) => fileIds.get(name) ?? null, rows: allRows(parts, ctx) };
      await loadTransactions(deps.ds, input, async (db, loaded) => {
        const reconciliation = reconcile({ list: listFigures(batch), stored: loaded.stored, parts: partFigures(parts, loadedParts(parts)), warnings });
        const outcome: Outcome = { kind: 'loaded', rows: reconciliation.rows, replaced: loaded.previous.rows, reconciliation };
        const differs = reloadDifference(loaded.previous, { rows: reconciliation.rows, totals: reconciliation.totals });
        if (differs) ctx.logger.warn('a re-load stored other figures than the load it replaced', differs);
        committed = await ctx.commitWithin(db, outcome);
        if (committed.state === 'quarantined') throw new RollbackForQuarantine(outcome, differs);
        if (differs) await appendEvent(db, batch, 'reload_differs', differs);
      });
      return { kind: 'committed', transition: committed! };
    } catch (e) {
      // The rows are rolled back; the same outcome, committed on its own, quarantines the batch with its reconciliation.
      if (e instanceof RollbackForQuarantine) {
        if (e.differs) await appendEvent(deps.ds, batch, 'reload_differs', e.differs);
        return e.outcome;
      }
      throw e;
    }
  };
}
