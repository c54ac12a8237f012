// One pooled pg client for work TypeORM does not cover (COPY, typed result parsing), inside a transaction.
import type { PoolClient } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/**
 * Runs fn inside BEGIN … COMMIT on one pooled connection; any error rolls back. A connection whose
 * rollback fails is discarded rather than returned to the pool.
 */
export async function withTransaction<T>(ds: DataSource, fn: (client: PoolClient) => Promise<T>, opts: { readOnly?: boolean } = {}): Promise<T> {
  const [client, release] = (await (ds.driver as PostgresDriver).obtainMasterConnection()) as [PoolClient, (err?: Error) => void];
  try {
    await client.query(opts.readOnly ? 'BEGIN READ ONLY' : 'BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    release();
    return result;
  } catch (err) {
    await client.query('ROLLBACK').then(
      () => release(),
      (rollbackErr: Error) => release(rollbackErr),
    );
    throw err;
  }
}
