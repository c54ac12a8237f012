// Applies pending migrations under a PostgreSQL advisory lock, so concurrent starts apply each one once.
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { Logger } from '../log.js';

// Arbitrary constant shared by every erp-sync process: "erp-sync migrations".
const MIGRATION_LOCK_KEY = 7_146_237_001;

export async function migrate(ds: DataSource, url: string, logger: Logger): Promise<string[]> {
  // The lock lives on its own session: TypeORM runs the migrations on pooled connections.
  const lock = new pg.Client({ connectionString: url, application_name: 'erp-sync-migrate-lock' });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    for (const m of applied) logger.info('migration applied', { migration: m.name });
    return applied.map((m) => m.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.end();
  }
}

/** True when every known migration is recorded (used by /readyz). */
export async function migrationsApplied(ds: DataSource): Promise<boolean> {
  return !(await ds.showMigrations());
}

/** The migrations the database records as applied, read without writing (TypeORM's showMigrations creates its table). */
export async function appliedMigrations(ds: DataSource): Promise<string[]> {
  const [row]: Array<{ exists: boolean }> = await ds.query(`SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`);
  return row?.exists ? ((await ds.query(`SELECT name FROM schema_migrations`)) as Array<{ name: string }>).map((r) => r.name) : [];
}

/** Which known migrations the database lacks. */
export async function pendingMigrations(ds: DataSource): Promise<string[]> {
  const applied = new Set(await appliedMigrations(ds));
  return ds.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
}
