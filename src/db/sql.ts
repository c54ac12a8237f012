// Thin helpers over TypeORM's query(): it returns UPDATE/DELETE results as [rows, rowCount], everything else as rows.
import type { DataSource, EntityManager } from 'typeorm';

export type Queryable = Pick<DataSource | EntityManager, 'query'>;

/** Runs an UPDATE or DELETE (with or without RETURNING). */
export async function update<T = unknown>(db: Queryable, sql: string, params: unknown[]): Promise<{ rows: T[]; count: number }> {
  const [rows, count] = (await db.query(sql, params)) as [T[], number];
  return { rows, count };
}

/** Minimal view of a raw pg client (inside a COPY transaction) with TypeORM's result shapes. */
export function fromPgClient(client: { query(sql: string, params?: unknown[]): Promise<{ command: string; rows: unknown[]; rowCount: number | null }> }): Queryable {
  return {
    query: async (sql: string, params?: unknown[]) => {
      const r = await client.query(sql, params);
      return r.command === 'UPDATE' || r.command === 'DELETE' ? [r.rows, r.rowCount ?? 0] : r.rows;
    },
  } as Queryable;
}
