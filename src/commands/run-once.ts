// `erp-sync run-once`: one full cycle for all companies; waits until each batch is done, quarantined or waiting.
import { openRuntime } from '../runtime.js';
import { assembleApp, type App } from '../app.js';
import { settle } from '../pipeline/settle.js';
import { forEachLimited } from '../pipeline/limit.js';
import { batchStatuses } from '../store/status.js';
import type { CommandContext } from './context.js';

/** Waits shorter than this (a close in progress, a short back-off) are sat out; longer ones end the run. */
const MAX_WAIT_MS = 120_000;

export async function runRunOnce(ctx: CommandContext): Promise<number> {
  const { logger } = ctx;
  const rt = await openRuntime(ctx.config, logger);
  const started = new Date();
  let app: App | undefined;
  try {
    const assembled = (app = await assembleApp(rt, logger));
    const ids = app.companies.map((c) => c.id);
    let failed = 0;
    // Listing is network-bound: as many companies at once as batches may be worked on at once.
    await forEachLimited(app.companies, rt.config.pipeline.concurrency, async (c) => {
      if ((await assembled.daemon.discoverIfDue(c, true)) === 'failed') failed++;
    });
    await settle(rt.ds, app.worker, ids, { now: () => new Date(), maxWaitMs: MAX_WAIT_MS });
    const [quarantined]: Array<{ n: number }> = await rt.ds.query(
      `SELECT count(*)::int AS n FROM batch_events WHERE kind = 'quarantined' AND at >= $1 AND company_id = ANY($2)`,
      [started, ids],
    );
    failed += quarantined?.n ?? 0;
    const statuses = await batchStatuses(rt.ds);
    const byState = statuses.reduce<Record<string, number>>((m, b) => ((m[b.state] = (m[b.state] ?? 0) + 1), m), {});
    logger.info('run-once finished', { batches: byState, failed });
    return failed ? 1 : 0;
  } finally {
    await app?.close();
    await rt.close();
  }
}
