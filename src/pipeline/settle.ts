// Drives the worker until every batch of the given companies is done, quarantined or waiting: for its close
// window (discovered, empty), for longer than maxWaitMs, or held by another live process for longer than that.
import type { DataSource } from 'typeorm';
import type { Worker } from './worker.js';
import { nextDueAt } from '../store/batches.js';
import { realSleep, type Sleep } from '../backoff.js';

export async function settle(ds: DataSource, worker: Worker, companies: string[], opts: { now: () => Date; maxWaitMs: number; sleep?: Sleep }): Promise<void> {
  const sleep = opts.sleep ?? realSleep;
  let idleSince: number | null = null;
  for (;;) {
    const claimed = await worker.tick();
    await worker.drain();
    if (claimed > 0) {
      idleSince = null;
      continue;
    }
    const now = opts.now();
    const due = await nextDueAt(ds, companies, now);
    if (!due) return;
    idleSince ??= now.getTime();
    const wait = due.getTime() - now.getTime();
    // Due but not claimable (another live process works on it), or a short wait: sat out, but not for ever.
    if (wait > opts.maxWaitMs || now.getTime() - idleSince >= opts.maxWaitMs) return;
    await sleep(Math.min(Math.max(wait, 200), 1_000));
  }
}
