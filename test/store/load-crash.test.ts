import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { loadTransactions } from '../../src/store/load.js';
import { useMigratedDatabase } from '../support/db.js';
import { batchState, countRows, markLoaded, range, seedBatch, streamOf, txn } from './fixtures.js';

const CHILD = fileURLToPath(new URL('./crash-child.ts', import.meta.url));

/** Polls a condition on the database (the child's progress is only observable there). */
async function until<T>(what: string, probe: () => Promise<T | undefined>, limitMs = 30_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(10);
  }
}

async function copyProgress(ds: DataSource): Promise<{ pid: number; tuples: number } | undefined> {
  const [row] = (await ds.query(
    `SELECT p.pid, p.tuples_processed::int AS tuples FROM pg_stat_progress_copy p
     JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'erp-sync-crash-child' AND a.datname = current_database()`,
  )) as Array<{ pid: number; tuples: number }>;
  return row;
}

describe('a load killed in the middle of its COPY', () => {
  const db = useMigratedDatabase();

  it('leaves nothing partial behind, and a retry loads every row once', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'B-crash');
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, db.url(), 'acme', batchRowId], { stdio: ['ignore', 'inherit', 'inherit'] });
    const exited = once(child, 'exit');
    try {
      // Kill only once the server has taken in a good number of rows of this COPY.
      const { pid } = await until('the COPY to take in rows', async () => {
        const p = await copyProgress(ds);
        return p && p.tuples >= 20_000 ? p : undefined;
      });
      child.kill('SIGKILL');
      const [, signal] = await exited;
      expect(signal).toBe('SIGKILL');
      await until('the killed session to end', async () => {
        const [row] = (await ds.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = $1`, [pid])) as Array<{ n: number }>;
        return row!.n === 0 ? true : undefined;
      });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }

    expect(await countRows(ds, batchRowId)).toBe(0);
    expect(await batchState(ds, batchRowId)).toEqual({ state: 'fetched', events: 0 });

    const retry = await loadTransactions(ds, { companyId: 'acme', batchRowId, rows: streamOf(range(5_000).map((i) => txn(i))) }, markLoaded(batchRowId));
    expect(retry.parsed).toBe(5_000);
    expect(retry.previous.rows).toBe(0);
    expect(await countRows(ds, batchRowId)).toBe(5_000);
    expect(await batchState(ds, batchRowId)).toEqual({ state: 'loaded', events: 1 });
  });
});
