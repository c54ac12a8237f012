// The statements a cycle runs per batch are prepared once per pooled connection (a named statement of the extended
// protocol) instead of parsed, analysed and planned by PostgreSQL at every call: planning alone took 0.1-0.5 ms of the
// server's time for most of the ~40 statements a batch (BENCHMARKS.md, issue 18). Only texts marked with `prepared` are
// named, so the number of statements a connection keeps is bounded by the code, not by the data.
import pg from 'pg';

const names = new Map<string, string>();

/** Marks a constant SQL text to be prepared on each connection at its first use; returns it unchanged. */
export function prepared(sql: string): string {
  if (!names.has(sql)) names.set(sql, `erp_sync_${names.size + 1}`);
  return sql;
}

/** pg's client, running the marked texts as named statements; TypeORM's pool makes its connections with it. */
export class PreparingClient extends pg.Client {}

const plainQuery = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
// TypeORM calls query(text, values); pg keeps what it parsed per connection under the name.
PreparingClient.prototype.query = function (this: pg.Client, config: unknown, values?: unknown, callback?: unknown) {
  const name = typeof config === 'string' && Array.isArray(values) ? names.get(config) : undefined;
  return name ? plainQuery.call(this, { name, text: config, values }, callback) : plainQuery.call(this, config, values, callback);
} as pg.Client['query'];
