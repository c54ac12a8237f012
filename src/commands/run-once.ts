// `erp-sync run-once`: one full cycle for all companies; waits until each batch is done, quarantined or waiting,
// waits (bounded) for work another live process holds, and ends with one line saying per company what was done,
// what waits and why. Exit 1 when anything it was asked to do was not done.
import { openRuntime } from '../runtime.js';
import { assembleApp, type App } from '../app.js';
import type { DiscoveryOutcome } from '../pipeline/discovery.js';
import type { CompanyConfig } from '../config/schema.js';
import { settle } from '../pipeline/settle.js';
import { forEachLimited } from '../pipeline/limit.js';
import { runSummary, type RunSummary } from '../pipeline/run-summary.js';
import { finishedSince, unfinishedBatches } from '../store/batches.js';
import type { CommandContext } from './context.js';
import { realSleep as sleep } from '../backoff.js';

export async function runRunOnce(ctx: CommandContext): Promise<number> {
  const { logger } = ctx;
  const rt = await openRuntime(ctx.config, logger);
  const started = new Date();
  const { runOnceWaitMs, pollMs, concurrency } = rt.config.pipeline;
  let app: App | undefined;
  let summary: RunSummary;
  try {
    const assembled = (app = await assembleApp(rt, logger));
    const ids = app.companies.map((c) => c.id);
    const discovery = new Map<string, DiscoveryOutcome>();
    // A listing another live process is doing is waited for (bounded), then done here too.
    const list = async (c: CompanyConfig): Promise<DiscoveryOutcome> => {
      const deadline = Date.now() + runOnceWaitMs;
      for (let waited = false; ; waited = true) {
        const r = await assembled.daemon.discoverIfDue(c, true);
        if (r.outcome !== 'held' || Date.now() >= deadline) return r;
        if (!waited) logger.info('waiting for another process listing the company', { company: c.id, heldBy: r.heldBy, maxWaitMs: runOnceWaitMs });
        await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())));
      }
    };
    // Listing is network-bound: as many companies at once as batches may be worked on at once.
    await forEachLimited(app.companies, concurrency, async (c) => void discovery.set(c.id, await list(c)));
    await settle(rt.ds, app.worker, ids, { now: () => new Date(), maxWaitMs: runOnceWaitMs });
    // Run from a scheduler (the CronJob), it is the only process to tell people: what it could not deliver waits for the next run.
    await app.alerts?.run();
    const now = new Date();
    summary = runSummary(discovery, await finishedSince(rt.ds, ids, started), await unfinishedBatches(rt.ds, ids, now), now);
  } finally {
    await app?.close();
    await rt.close();
  }
  // The last line, after everything else has stopped.
  logger.info(`run-once finished: ${summary.text}`, { companies: summary.companies, failed: summary.failed });
  return summary.failed ? 1 : 0;
}
