// The load step: parse the stored file, reconcile, and COPY the rows in the transaction that commits the state.
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import type { CompanyConfig } from '../../config/schema.js';
import type { Transaction } from '../../model/transaction.js';
import { BUILTIN_CSV_PROFILES, openBatchFile, reconcile, selectProfile, type BatchFilePart, type ZipLimits } from '../../../parsers/index.js';
import { loadTransactions } from '../../store/load.js';
import { latestFiles } from '../../store/files.js';
import { fromPgClient } from '../../db/sql.js';
import { faultPoint } from '../../faults.js';
import { progressReporter } from '../../progress.js';
import type { Reconciliation, Transition } from '../machine.js';
import type { StepContext, StepResult } from '../worker.js';

export interface LoadDeps {
  ds: DataSource;
  dataDir: string;
  zipLimits: ZipLimits;
}

/** Thrown inside the load transaction to roll the rows back when the policy quarantines the batch. */
class RollbackForQuarantine extends Error {
  constructor(readonly transition: Transition) {
    super('quarantined during load');
  }
}

function csvProfileFor(company: CompanyConfig, facts: { type: string | null; paymentMethod: string | null; fileName: string }) {
  const profiles = { ...BUILTIN_CSV_PROFILES, ...company.csvProfiles };
  const name = selectProfile(company.csvProfileRules, facts) ?? company.defaultCsvProfile;
  return name ? profiles[name] : undefined;
}

/**
 * Which parts' rows go into the transactions table. A QuickBooks bundle's IIF and GL CSV describe the same
 * expense lines (same natural keys); the GL CSV carries the currency and no offsetting payable rows, so it is
 * loaded, while the IIF is still parsed in full: its blocks must balance and its totals reconcile.
 */
export function rowsToLoad(parts: readonly BatchFilePart[]): (part: BatchFilePart) => boolean {
  const bundle = parts.some((p) => p.container !== null && p.kind === 'iif') && parts.some((p) => p.container !== null && p.kind === 'csv');
  return (part) => !(bundle && part.kind === 'iif');
}

async function* allRows(parts: BatchFilePart[], ctx: StepContext): AsyncGenerator<Transaction> {
  let n = 0;
  const progress = progressReporter(ctx.logger, 'loading', 'rows');
  const load = rowsToLoad(parts);
  for (const part of parts) {
    const keep = load(part);
    for await (const row of part.rows()) {
      if (!keep) continue;
      yield row;
      progress(++n);
    }
  }
  // Crash-suite fault point: inside the COPY (earlier chunks are on the server), before the merge and commit.
  faultPoint('load:mid-copy');
}

export function machineReconciliation(parts: BatchFilePart[], batch: { currency: string | null; batchTotal: string | null }): Reconciliation {
  const r = reconcile({
    batch: batch.currency && batch.batchTotal ? [{ currency: batch.currency, total: batch.batchTotal }] : null,
    parts: parts.filter((p) => p.kind !== 'unknown').map((p) => ({ name: p.name, totals: p.tally.totals, header: p.tally.header })),
  });
  const difference = Object.fromEntries(r.mismatches.map((m) => [`${m.source}:${m.file}${m.currency ? `:${m.currency}` : ''}`, m.difference]));
  return { status: r.status, difference, checks: r.checks };
}

export function loadStep(deps: LoadDeps) {
  return async function load(ctx: StepContext): Promise<StepResult> {
    const { batch } = ctx;
    const files = await latestFiles(deps.ds, batch.id);
    if (!files) return { kind: 'failed', error: { kind: 'missing-file', message: 'no fetched file recorded for this batch', retryable: false } };
    const { original } = files;
    const parts = await openBatchFile(join(deps.dataDir, original.storagePath), {
      fileName: original.name,
      sha256: original.sha256,
      csvProfile: csvProfileFor(ctx.company, { type: batch.type, paymentMethod: batch.paymentMethod, fileName: original.name }),
      zipLimits: deps.zipLimits,
      defaultCurrency: batch.currency,
    });
    for (const p of parts.filter((p) => p.kind === 'unknown')) ctx.logger.warn('file kept and delivered but not parsed: unknown kind', { file: p.name });
    try {
      let committed: Transition | null = null;
      await loadTransactions(deps.ds, { companyId: batch.companyId, batchId: batch.id, fileId: original.id, rows: allRows(parts, ctx) }, async (client, loaded) => {
        const outcome = { kind: 'loaded' as const, rows: loaded.parsed, inserted: loaded.inserted, reconciliation: machineReconciliation(parts, batch) };
        const db = fromPgClient(client);
        committed = await ctx.commitWithin(db, outcome);
        if (committed.state === 'quarantined') throw new RollbackForQuarantine(committed);
      });
      return { kind: 'committed', transition: committed! };
    } catch (e) {
      // The rows are rolled back; the quarantine (with the reconciliation that caused it) is committed on its own.
      if (e instanceof RollbackForQuarantine) return { kind: 'invalid', reason: e.transition.set.quarantineReason ?? 'quarantined' };
      throw e;
    }
  };
}
