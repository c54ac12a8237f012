// Work TypeORM does not cover (COPY, pg's typed result parsing) runs inside the one transaction style,
// DataSource.transaction, on the transaction's own connection, which its query runner hands out (QueryRunner.connect()).
import type { PoolClient } from 'pg';
import type { EntityManager } from 'typeorm';

/** The pg connection the statements of the transaction `m` run on. */
export async function pgClientOf(m: EntityManager): Promise<PoolClient> {
  if (!m.queryRunner) throw new Error('pgClientOf: not inside a transaction');
  return (await m.queryRunner.connect()) as PoolClient;
}
