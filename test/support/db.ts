// Per-test-file database isolation: each file gets a fresh database on the run's server, dropped afterwards;
// migrated ones are copies of the run's migrated template (see template-db.ts).
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/db/database.js';
import { openHolder, type HolderSession } from '../../src/store/claims.js';
import { adminQuery, quietLogger, withDatabase } from './template-db.js';

export { quietLogger };

/** A database of its own: empty, or (`migrated`) a copy of the run's migrated template. */
export async function createDatabase(opts: { migrated?: boolean } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `erp_sync_test_${randomBytes(6).toString('hex')}`;
  const server = inject('databaseUrl');
  await adminQuery(server, `CREATE DATABASE ${name}${opts.migrated ? ` TEMPLATE ${inject('templateDatabase')}` : ''}`);
  return {
    url: withDatabase(server, name),
    drop: () => adminQuery(server, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** Registers hooks giving the calling test file its own migrated database. */
export function useMigratedDatabase(): { url: () => string; ds: () => DataSource; holder: (id: string) => Promise<HolderSession> } {
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let ds: DataSource | undefined;
  const holders = new Map<string, Promise<HolderSession>>();
  beforeAll(async () => {
    db = await createDatabase({ migrated: true });
    ds = await openDatabase({ url: db.url, poolSize: 5 });
  });
  afterAll(async () => {
    for (const h of holders.values()) await (await h).close();
    await ds?.destroy();
    await db?.drop();
  });
  return {
    url: () => db!.url,
    ds: () => ds!,
    /** A claim holder with a live session of its own (one per id, ended after the file's tests). */
    holder: (id) => {
      if (!holders.has(id)) holders.set(id, openHolder(db!.url, id, quietLogger));
      return holders.get(id)!;
    },
  };
}

/**
 * A holder whose session the test ends the way a SIGKILL does: the connection drops, nothing is cleaned up.
 * (openHolder's own close() releases its claims first, like a clean stop.)
 */
export async function killableHolder(url: string, id: string): Promise<{ holder: { id: string; session: string }; kill(): Promise<void> }> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined); // the database may be dropped under it at the end of the file
  await c.connect();
  const session = String(1_000_000 + Math.floor(Math.random() * 1e12));
  await c.query('SELECT pg_advisory_lock($1::bigint)', [session]);
  return { holder: { id, session }, kill: () => c.end() };
}
