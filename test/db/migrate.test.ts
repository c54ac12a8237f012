import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase, quietLogger } from '../support/db.js';
import { openDatabase } from '../../src/db/database.js';
import { migrate, migrationsApplied } from '../../src/db/migrate.js';
import { migrations } from '../../migrations/index.js';

describe('migrate', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  it('applies each migration once when two processes migrate at the same moment', async () => {
    const db = await createDatabase();
    cleanups.push(db.drop);
    const a = await openDatabase({ url: db.url, poolSize: 2 });
    const b = await openDatabase({ url: db.url, poolSize: 2 });
    cleanups.push(() => a.destroy(), () => b.destroy());

    const [fromA, fromB] = await Promise.all([migrate(a, db.url, quietLogger), migrate(b, db.url, quietLogger)]);

    expect([...fromA, ...fromB].sort()).toEqual(migrations.map((m) => m.name).sort());
    const rows = await a.query('SELECT name, count(*)::int AS n FROM schema_migrations GROUP BY name');
    expect(rows).toHaveLength(migrations.length);
    for (const r of rows) expect(r.n).toBe(1);
    expect(await migrationsApplied(a)).toBe(true);
  });

  it('is a no-op on an up-to-date database', async () => {
    const db = await createDatabase();
    cleanups.push(db.drop);
    const ds = await openDatabase({ url: db.url });
    cleanups.push(() => ds.destroy());
    expect(await migrationsApplied(ds)).toBe(false);
    await migrate(ds, db.url, quietLogger);
    expect(await migrate(ds, db.url, quietLogger)).toEqual([]);
  });

  it('keeps the audit trail append-only', async () => {
    const db = await createDatabase();
    cleanups.push(db.drop);
    const ds = await openDatabase({ url: db.url });
    cleanups.push(() => ds.destroy());
    await migrate(ds, db.url, quietLogger);
    await ds.query(`INSERT INTO batch_events (company_id, kind) VALUES ('c1', 'test')`);
    await expect(ds.query(`UPDATE batch_events SET kind = 'x'`)).rejects.toThrow(/append-only/);
    await expect(ds.query(`DELETE FROM batch_events`)).rejects.toThrow(/append-only/);
  });

  it('sets server-side timeouts on pooled connections', async () => {
    const db = await createDatabase();
    cleanups.push(db.drop);
    const ds = await openDatabase({ url: db.url, statementTimeoutMs: 1234, idleInTransactionTimeoutMs: 5678 });
    cleanups.push(() => ds.destroy());
    const [row] = await ds.query(`SELECT current_setting('statement_timeout') AS st, current_setting('idle_in_transaction_session_timeout') AS it`);
    expect(row).toEqual({ st: '1234ms', it: '5678ms' });
  });
});
