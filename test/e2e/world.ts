// An end-to-end world for child-process daemons: Concur sandbox and SFTP drop in the test process (they outlive
// the daemon), a database of its own, and a configuration file pointing the daemon at them.
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import pg from 'pg';
import { startConcurSandbox, type ConcurSandbox } from '../../sandboxes/concur/index.js';
import { startSftpDrop, type SftpDrop } from '../../sandboxes/sftp-drop/server.js';
import { SANDBOX_CSV_PROFILE } from '../../sandboxes/files/index.js';
import { createDatabase, quietLogger } from '../support/db.js';
import { generateEd25519 } from '../../sandboxes/sftp-drop/keygen.js';
import { spawnCli, type Child } from '../support/cli.js';

export { REPO, waitForOutput } from '../support/cli.js';

export interface World {
  sandbox: ConcurSandbox;
  drop: SftpDrop;
  dropRoot: string;
  dataDir: string;
  configPath: string;
  databaseUrl: string;
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function startWorld(opts: { companies?: number; concurrency?: number; pipeline?: Record<string, unknown> } = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'erp-sync-e2e-'));
  const db = await createDatabase({ migrated: true });
  const sandbox = await startConcurSandbox({ companies: opts.companies ?? 1, closeDelayMs: 300 });
  const keys = generateEd25519();
  const clientKey = join(dir, 'client_key');
  writeFileSync(clientKey, keys.private, { mode: 0o600 });
  const dropRoot = join(dir, 'drop');
  const drop = await startSftpDrop({ root: dropRoot, hostKeyPath: join(dir, 'host_key'), users: [{ username: 'erp', publicKeys: [keys.public] }], log: quietLogger });
  const dataDir = join(dir, 'data');
  const config = {
    dataDir,
    database: { url: db.url, poolSize: 5 },
    http: { port: 0, host: '127.0.0.1' },
    // The lease is the default (120 s) unless a test asks: a dead process's claims must end with its connection.
    pipeline: { pollMs: 100, ...opts.pipeline, concurrency: opts.concurrency ?? 4, perCompanyConcurrency: 4 },
    companies: sandbox.companies.map((c) => ({
      id: c.id,
      concur: {
        baseUrl: sandbox.url,
        auth: { kind: 'oauth', clientId: c.clientId, clientSecret: c.clientSecret, refreshToken: c.refreshToken, geolocation: sandbox.url },
        discovery: { schedule: 'immediate' },
        close: { schedule: 'immediate', closeWatchTimeoutMs: 3_000, closeWatchIntervalMs: 400 },
      },
      csvProfiles: { 'concur-sandbox': SANDBOX_CSV_PROFILE },
      defaultCsvProfile: 'concur-sandbox',
      sinks: [{ type: 'sftp', host: '127.0.0.1', port: drop.port, username: 'erp', privateKeyPath: clientKey, hostKeySha256: drop.hostKeySha256, remoteDir: '/' }],
    })),
  };
  const configPath = join(dir, 'erp-sync.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const pool = new pg.Pool({ connectionString: db.url, max: 1 });
  // pool.end() resolves before its client's socket has closed, so the drop's FORCE can still reach it: an idle
  // client's error goes to the pool, and a pool without a listener would make it an uncaught exception.
  pool.on('error', () => undefined);
  return {
    sandbox,
    drop,
    dropRoot,
    dataDir,
    configPath,
    databaseUrl: db.url,
    // One connection kept for the world's queries (tests poll with them): not a new session, with its password
    // exchange, per query.
    query: async (sql, params) => (await pool.query(sql, params)).rows,
    async close() {
      await drop.close();
      await sandbox.close();
      await pool.end();
      await db.drop();
    },
  };
}

/** Polls `probe` until it gives a value (a condition in the database or seen from outside a child process), or fails after `timeoutMs`. */
export async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Runs `erp-sync [--config <file>] <args>` as a child process (the run's compiled CLI, or `entry`, such as an
 * image's bin/erp-sync.js); null: no --config, from the environment alone.
 */
export function runCli(configPath: string | null, args: string[], env: Record<string, string> = {}, opts: { entry?: string; cwd?: string } = {}): Child {
  return spawnCli([...(configPath ? ['--config', configPath] : []), ...args], env, opts);
}

export const SANDBOX_CSV_HEADER = 'Employee ID;Employee Name;Report ID;Report Name;Entry ID;Date;Expense Type;Description;Vendor;Account;Amount;Currency';

/**
 * Adds to company c0001 an EUR batch served with exactly `bytes` as its file, `total` as the list's BatchTotal and
 * `reports` as its Count. Returns the batch and the file's sha256.
 */
export function addFileBatch(
  world: World,
  name: string,
  file: { fileName: string; bytes: Buffer; contentType?: string; type?: 'Employee' | 'Card Program' },
  total: string,
  reports = 1,
): { id: string; sha256: string } {
  const path = join(world.dataDir, '..', file.fileName);
  writeFileSync(path, file.bytes);
  const sha256 = createHash('sha256').update(file.bytes).digest('hex');
  const batch = world.sandbox.controls.addBatch('c0001', {
    name, kind: 'csv', currency: 'EUR', type: file.type ?? 'Employee', paymentMethod: 'Expense Pay by Concur', reports, linesPerReport: 1,
    file: { path, fileName: file.fileName, contentType: file.contentType ?? 'text/csv', size: file.bytes.length, sha256, total },
  });
  return { id: batch.id, sha256 };
}

/**
 * Adds to company c0001 an EUR batch whose file is exactly `lines` in the sandbox's CSV layout (one report),
 * with `total` as the list's BatchTotal. Returns the batch and the file's bytes and sha256.
 */
export function addCsvBatch(world: World, name: string, lines: string[], total: string): { id: string; bytes: Buffer; sha256: string } {
  const bytes = Buffer.from([SANDBOX_CSV_HEADER, ...lines].join('\n') + '\n');
  return { ...addFileBatch(world, name, { fileName: `${name.replace(/\W+/g, '-')}.csv`, bytes }, total), bytes };
}

/** Every file under the drop: relative path → sha256. */
export function dropContents(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(root, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(root);
  return out;
}

