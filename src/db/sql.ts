// Thin helpers over TypeORM's query(): it returns UPDATE/DELETE results as [rows, rowCount], everything else as rows.
import type { DataSource, EntityManager } from 'typeorm';

export type Queryable = Pick<DataSource | EntityManager, 'query'>;

/** Runs an UPDATE or DELETE (with or without RETURNING). */
export async function update<T = unknown>(db: Queryable, sql: string, params: unknown[]): Promise<{ rows: T[]; count: number }> {
  const [rows, count] = (await db.query(sql, params)) as [T[], number];
  return { rows, count };
}

