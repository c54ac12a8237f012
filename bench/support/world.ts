// A world for benchmarking child-process daemons: a PostgreSQL server (DATABASE_URL, else embedded), one
// database per run, the embedded SFTP drop, a config file pointing N companies at a sandbox, and the
// daemon's resource use sampled from outside (peak RSS from /proc, connections from pg_stat_activity).
import { spawn } from 'node:child_process';
import { compiledEntry } from './compiled.js';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { openDatabase } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/log.js';
import { startSftpDrop, type SftpDrop } from '../../sandboxes/sftp-drop/server.js';
import { SANDBOX_CSV_PROFILE } from '../../sandboxes/files/index.js';
import type { ConcurSandbox } from '../../sandboxes/concur/index.js';
import { generateEd25519 } from '../../sandboxes/sftp-drop/keygen.js';

export const REPO = join(import.meta.dirname, '..', '..');
export const quiet = createLogger({ level: 'error' });

export interface PgServer {
  url: string;
  /** CPU seconds the server used so far (its exited backends included); null for an external server. */
  cpuSeconds(): number | null;
  stop(): Promise<void>;
}

export async function startPostgres(dir: string): Promise<PgServer> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, cpuSeconds: () => null, stop: async () => undefined };
  const dataDir = join(dir, 'pg');
  const server = await startEmbeddedPostgres({ dataDir, persistent: false, logger: quiet });
  // server.dataDir: as root the cluster lives elsewhere (a directory the postgres user can reach).
  const postmaster = Number(readFileSync(join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return { url: server.url, cpuSeconds: () => cpuSecondsOf(postmaster, true), stop: () => server.stop() };
}

export async function adminQuery<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as T[];
  } finally {
    await c.end();
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database on the server (migrated here so daemons started together do not race for it). */
export async function createBenchDatabase(server: PgServer): Promise<BenchDatabase> {
  const name = `erp_sync_bench_${randomBytes(4).toString('hex')}`;
  await adminQuery(server.url, `CREATE DATABASE ${name}`);
  const u = new URL(server.url);
  u.pathname = `/${name}`;
  const url = u.toString();
  const ds = await openDatabase({ url, poolSize: 1 });
  await migrate(ds, url, quiet);
  await ds.destroy();
  return { name, url, drop: () => adminQuery(server.url, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).then(() => undefined) };
}

export interface BenchDrop {
  drop: SftpDrop;
  clientKey: string;
  /** Empties the drop between runs (the same companies and batch ids come back with new manifests). */
  clear(): Promise<void>;
  close(): Promise<void>;
}

export async function startBenchDrop(dir: string): Promise<BenchDrop> {
  const keys = generateEd25519();
  const clientKey = join(dir, 'client_key');
  writeFileSync(clientKey, keys.private, { mode: 0o600 });
  const root = join(dir, 'drop');
  const drop = await startSftpDrop({ root, hostKeyPath: join(dir, 'host_key'), users: [{ username: 'erp', publicKeys: [keys.public] }], log: quiet });
  const clear = async () => {
    for (const name of await readdir(root)) await rm(join(root, name), { recursive: true, force: true });
  };
  return { drop, clientKey, clear, close: () => drop.close() };
}

export interface DaemonConfigOptions {
  dir: string;
  sandbox: ConcurSandbox;
  drop: BenchDrop;
  databaseUrl: string;
  concurrency: number;
  poolSize: number;
  /** "immediate" for a full cycle; a cron that is not due for a discovery-only cycle. */
  closeSchedule: string;
  name: string;
}

/** Every sandbox company as a configured company: discovery and close immediate, the shared drop as sink. */
export function writeDaemonConfig(o: DaemonConfigOptions): string {
  const config = {
    dataDir: join(o.dir, `data-${o.name}`),
    database: { url: o.databaseUrl, poolSize: o.poolSize },
    http: { port: 0, host: '127.0.0.1' },
    log: { level: 'warn' },
    pipeline: { pollMs: 100, leaseMs: 120_000, concurrency: o.concurrency, perCompanyConcurrency: 2 },
    companies: o.sandbox.companies.map((c) => ({
      id: c.id,
      concur: {
        baseUrl: o.sandbox.url,
        auth: { kind: 'oauth', clientId: c.clientId, clientSecret: c.clientSecret, refreshToken: c.refreshToken, geolocation: o.sandbox.url },
        discovery: { schedule: 'immediate' },
        close: { schedule: o.closeSchedule, closeWatchTimeoutMs: 60_000, closeWatchIntervalMs: 1 },
      },
      csvProfiles: { 'concur-sandbox': SANDBOX_CSV_PROFILE },
      defaultCsvProfile: 'concur-sandbox',
      sinks: [
        { type: 'sftp', host: '127.0.0.1', port: o.drop.drop.port, username: 'erp', privateKeyPath: o.drop.clientKey, hostKeySha256: o.drop.drop.hostKeySha256, remoteDir: '/' },
      ],
    })),
  };
  const path = join(o.dir, `erp-sync-${o.name}.json`);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

export interface DaemonRun {
  code: number | null;
  seconds: number;
  peakRssMb: number;
  /** CPU time (user + system) of the daemon, as last read from /proc before it exited. */
  cpuSeconds: number;
  output: string;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** utime + stime of a process; with `children`, also of its exited, reaped children (PostgreSQL backends). */
function cpuSecondsOf(pid: number, children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    return ((f[11] ?? 0) + (f[12] ?? 0) + (children ? (f[13] ?? 0) + (f[14] ?? 0) : 0)) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Seconds the whole machine's cores were busy (all processes: daemons, sandbox, drop, PostgreSQL). */
export function machineBusySeconds(): number {
  const [, ...t] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = t;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}

function vmHwmKb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // exited
  }
}

/** `erp-sync run-once` as a child process (the real CLI, compiled); its peak RSS read from /proc while it runs. */
export async function runOnce(configPath: string): Promise<DaemonRun> {
  const cli = await compiledEntry('src/cli.ts');
  const started = performance.now();
  // BENCH_DAEMON_NODE_ARGS: extra node flags for the daemons (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
  // BENCH_MEMORY=1: the daemon prints where its memory stood at the peak (support/memory-sampler.mjs).
  const nodeArgs = (process.env.BENCH_DAEMON_NODE_ARGS ?? '').split(' ').filter(Boolean);
  if (process.env.BENCH_MEMORY === '1') nodeArgs.push('--import', join(import.meta.dirname, 'memory-sampler.mjs'));
  const child = spawn(process.execPath, [...nodeArgs, cli, '--config', configPath, 'run-once'], {
    cwd: REPO,
    env: { ...process.env, DATABASE_URL: '', ERP_SYNC_DATA_DIR: '', HTTP_PORT: '', LOG_LEVEL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // BENCH_DAEMON_OUTPUT: a file that receives every daemon's whole output (e.g. the lines of --trace-gc).
  const whole = process.env.BENCH_DAEMON_OUTPUT;
  const keep = (d: Buffer) => {
    if (whole) appendFileSync(whole, d);
    output = (output + d.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  if (process.env.BENCH_MEMORY === '1') child.stderr.on('data', (d: Buffer) => process.stderr.write(d.toString().split('\n').filter((l) => l.startsWith('bench-memory:')).map((l) => `${l}\n`).join('')));
  let peakKb = 0;
  let cpuSeconds = 0;
  const timer = setInterval(() => {
    peakKb = Math.max(peakKb, vmHwmKb(child.pid!));
    cpuSeconds = Math.max(cpuSeconds, cpuSecondsOf(child.pid!));
  }, 100);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, seconds: (performance.now() - started) / 1000, peakRssMb: peakKb / 1024, cpuSeconds, output });
    }),
  );
}

/** Samples a value every `everyMs` and keeps the highest; stop() returns it. */
export function sampleMax(everyMs: number, read: () => Promise<number> | number): { stop(): Promise<number> } {
  let max = 0;
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void Promise.resolve(read())
      .then((v) => (max = Math.max(max, v)), () => undefined)
      .finally(() => (busy = false));
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      max = Math.max(max, await Promise.resolve(read()).catch(() => 0));
      return max;
    },
  };
}

export interface ConnectionPeak {
  /** The most client sessions open to the database at once: the connections the daemons opened. */
  clients: number;
  /** Server processes of other kinds seen on the database (autovacuum workers, parallel workers), by kind: not connections. */
  others: Record<string, number>;
  /** The most processes of any kind on the database at once (what this sampler reported before it told them apart). */
  all: number;
}

/**
 * The connections open to one database, sampled by a client of its own (not counted). pg_stat_activity also lists
 * the server's own processes working on the database (an autovacuum worker after many updates, a parallel query's
 * workers): those are counted apart, since no client opened them.
 */
export async function connectionSampler(serverUrl: string, dbName: string, everyMs = 100): Promise<{ stop(): Promise<ConnectionPeak> }> {
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  const others: Record<string, number> = {};
  let all = 0;
  const read = async () => {
    const r = await c.query<{ kind: string; n: number }>(`SELECT backend_type AS kind, count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 GROUP BY 1`, [dbName]);
    let clients = 0;
    for (const { kind, n } of r.rows) {
      if (kind === 'client backend') clients = n;
      else others[kind] = Math.max(others[kind] ?? 0, n);
    }
    all = Math.max(all, r.rows.reduce((sum, { n }) => sum + n, 0));
    return clients;
  };
  const s = sampleMax(everyMs, read);
  return {
    async stop() {
      const clients = await s.stop();
      await c.end();
      return { clients, others, all };
    },
  };
}
