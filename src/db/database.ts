// The database connection: one bounded TypeORM DataSource (pg pool underneath) with server-side timeouts.
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { PreparingClient } from './prepared.js';

export interface DatabaseOptions {
  url: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  idleInTransactionTimeoutMs?: number;
  applicationName?: string;
  /** The hot path's statements as named statements (src/db/prepared.ts); false behind a pooler that cannot hold them. */
  preparedStatements?: boolean;
}

export function createDataSource(opts: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    poolSize: opts.poolSize ?? 10,
    logging: false,
    extra: {
      // Sent as startup parameters, so every pooled connection carries them.
      statement_timeout: opts.statementTimeoutMs ?? 300_000,
      idle_in_transaction_session_timeout: opts.idleInTransactionTimeoutMs ?? 60_000,
      application_name: opts.applicationName ?? 'erp-sync',
      connectionTimeoutMillis: 10_000,
      // The hot path's statements are planned once per connection (src/db/prepared.ts).
      ...(opts.preparedStatements === false ? {} : { Client: PreparingClient }),
    },
  });
}

export async function openDatabase(opts: DatabaseOptions): Promise<DataSource> {
  return createDataSource(opts).initialize();
}
