// Drives the worker until every batch of the given companies is done, quarantined or waiting: for its close
// window (discovered, empty) or for longer than maxWaitMs.
import type { DataSource } from 'typeorm';
import type { Worker } from './worker.js';

export async function nextDueAt(ds: DataSource, companies: string[]): Promise<Date | null> {
  const [row]: Array<{ at: Date | null }> = await ds.query(
    `SELECT min(COALESCE(next_attempt_at, '-infinity')) AS at FROM batches WHERE company_id = ANY($1) AND state NOT IN ('done', 'quarantined', 'discovered', 'empty')`,
    [companies],
  );
  return row?.at ?? null;
}

export async function settle(ds: DataSource, worker: Worker, companies: string[], opts: { now: () => Date; maxWaitMs: number; sleep?: (ms: number) => Promise<void> }): Promise<void> {
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (;;) {
    const claimed = await worker.tick();
    await worker.drain();
    if (claimed > 0) continue;
    const due = await nextDueAt(ds, companies);
    if (!due) return;
    const wait = due.getTime() - opts.now().getTime();
    if (wait > opts.maxWaitMs) return;
    // Due but not claimable: another worker (or a dead one's lease, until it expires) holds it.
    await sleep(Math.min(Math.max(wait, 200), 1_000));
  }
}
