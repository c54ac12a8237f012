// Per-test-file database isolation: each file gets a fresh database on the run's server, dropped afterwards.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, inject } from 'vitest';
import type { DataSource } from 'typeorm';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/log.js';
import { openHolder, type HolderSession } from '../../src/store/claims.js';
import { Writable } from 'node:stream';

export const quietLogger = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }), tty: false });

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: inject('databaseUrl') });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `erp_sync_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`CREATE DATABASE ${name}`));
  return {
    url: withDatabase(inject('databaseUrl'), name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

/** Registers hooks giving the calling test file its own migrated database. */
export function useMigratedDatabase(): { url: () => string; ds: () => DataSource; holder: (id: string) => Promise<HolderSession> } {
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  let ds: DataSource | undefined;
  const holders = new Map<string, Promise<HolderSession>>();
  beforeAll(async () => {
    db = await createDatabase();
    ds = await openDatabase({ url: db.url, poolSize: 5 });
    await migrate(ds, db.url, quietLogger);
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
