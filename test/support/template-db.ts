// One migrated database per test run, copied for every test that wants a migrated database (CREATE DATABASE …
// TEMPLATE, as graphile-worker's tests do) instead of migrating each. The copy fails while anyone is connected
// to the template, so once migrated it refuses connections.
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/log.js';

export const quietLogger = createLogger({ stream: new Writable({ write: (_c, _e, cb) => cb() }), tty: false });

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export async function adminQuery(url: string, sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** Creates and migrates the run's template on the server at `url`; returns its name and its removal. */
export async function createTemplate(url: string): Promise<{ name: string; drop(): Promise<void> }> {
  // Unique per run: other runs (other checkouts) may share the server.
  const name = `erp_sync_template_${randomBytes(6).toString('hex')}`;
  const drop = async () => {
    await adminQuery(url, `ALTER DATABASE ${name} WITH IS_TEMPLATE false`);
    await adminQuery(url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  };
  await adminQuery(url, `CREATE DATABASE ${name}`);
  try {
    const ds = await openDatabase({ url: withDatabase(url, name), poolSize: 2 });
    try {
      await migrate(ds, withDatabase(url, name), quietLogger);
    } finally {
      await ds.destroy();
    }
    await adminQuery(url, `ALTER DATABASE ${name} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
  } catch (e) {
    await drop(); // a failed setup leaves nothing on a shared server
    throw e;
  }
  return { name, drop };
}
