// `erp-sync replay <batch> [--sink NAME]` and `erp-sync retry <batch>`: operator actions on one batch, audited,
// then driven to their next resting state.
import { openRuntime } from '../runtime.js';
import { printable, printableLines } from '../printable.js';
import { assembleApp } from '../app.js';
import { settle } from '../pipeline/settle.js';
import { findBatch, getBatch, type BatchRow } from '../store/batches.js';
import { replayBatch, retryBatch, type Refusal } from '../pipeline/operator-actions.js';
import { userInfo } from 'node:os';
import type { DataSource } from 'typeorm';
import type { CommandContext } from './context.js';

export async function resolveOne(ds: DataSource, ref: string, err: NodeJS.WritableStream): Promise<BatchRow | null> {
  const found = await findBatch(ds, ref);
  if (found.length === 1) return found[0]!;
  err.write(printableLines(found.length ? `erp-sync: "${ref}" is ambiguous; name it as company/batch: ${found.map((b) => `${b.companyId}/${b.concurBatchId}`).join(', ')}\n` : `erp-sync: no batch "${ref}"\n`));
  return null;
}

async function act(ctx: CommandContext, ref: string, action: (ds: DataSource, b: BatchRow) => Promise<Refusal>): Promise<number> {
  const rt = await openRuntime(ctx.config, ctx.logger);
  let app;
  try {
    const batch = await resolveOne(rt.ds, ref, process.stderr);
    if (!batch) return 2;
    const refused = await action(rt.ds, batch);
    if (refused && typeof refused === 'object') {
      process.stderr.write(`erp-sync: ${refused.usage}\n`);
      return 2;
    }
    if (refused) {
      process.stderr.write(`erp-sync: ${refused}\n`);
      return 1;
    }
    app = await assembleApp(rt, ctx.logger);
    await settle(rt.ds, app.worker, [batch.companyId], { now: () => new Date(), maxWaitMs: rt.config.pipeline.runOnceWaitMs });
    const after = await getBatch(rt.ds, batch.id);
    process.stdout.write(printableLines(`${batch.companyId}/${batch.concurBatchId}: ${after?.state}${after?.quarantineReason ? ` (${printable(after.quarantineReason)})` : ''}\n`));
    return after?.state === 'quarantined' ? 1 : 0;
  } finally {
    await app?.close();
    await rt.close();
  }
}

export function runReplay(ctx: CommandContext, ref: string, sink: string | null): Promise<number> {
  return act(ctx, ref, (ds, b) => replayBatch(ds, ctx.config.companies, b, sink, userInfo().username));
}

export function runRetry(ctx: CommandContext, ref: string): Promise<number> {
  return act(ctx, ref, (ds, b) => retryBatch(ds, b, 'erp-sync retry', userInfo().username));
}
