// Where the embedded PostgreSQL lives when erp-sync runs as root (the server then runs as the postgres user).
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, chownSync, cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { packageNative, placeServer, type NativeBinaries } from '../../src/db/server-place.js';
import { ConfigError } from '../../src/config-error.js';

const asRoot = userInfo().uid === 0;

describe.skipIf(!asRoot)('placeServer as root (skipped: the tests do not run as root)', () => {
  const top = mkdtempSync(join(tmpdir(), 'erp-sync-place-'));
  chmodSync(top, 0o755);
  const open = join(top, 'open');
  const state = join(top, 'state');
  const priv = join(top, 'private');
  mkdirSync(open);
  mkdirSync(state);
  mkdirSync(priv, { mode: 0o700 });
  chmodSync(priv, 0o700);
  const env = { STATE_DIRECTORY: state, TMPDIR: priv };
  afterAll(() => rmSync(top, { recursive: true, force: true }));
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString());
  const ids = () => ({ uid: id('-u'), gid: id('-g') });
  const runs = (native: NativeBinaries) => spawnSync(join(native.dir, 'bin', 'postgres'), ['--version'], { ...ids(), stdio: 'ignore' }).status === 0;
  // The tests decide where the binaries are, whatever directory this checkout sits in (a clone below a 700 one too).
  const packaged = packageNative();
  const reachable: NativeBinaries = runs(packaged) ? packaged : { dir: join(top, 'native'), version: packaged.version };
  if (reachable !== packaged) cpSync(packaged.dir, reachable.dir, { recursive: true, verbatimSymlinks: true });
  const hidden: NativeBinaries = { dir: join(priv, 'native'), version: packaged.version };
  cpSync(packaged.dir, hidden.dir, { recursive: true, verbatimSymlinks: true });

  it('keeps the configured data directory when the postgres user can reach it', () => {
    const place = placeServer(join(open, 'var', 'pg'), env, reachable);
    expect(place.dataDir).toBe(join(open, 'var', 'pg'));
    expect(place.runAs?.uid).toBeGreaterThan(0);
    expect(place.note).toBeNull();
  });

  it('below a 700 directory: a stable per-project directory under the state directory, the private one untouched', () => {
    const configured = join(priv, 'project', 'var', 'pg');
    const first = placeServer(configured, env, reachable);
    expect(first.dataDir).toMatch(new RegExp(`^${state}/pg-[0-9a-f]{16}$`));
    expect(first.note).toContain(`its files are kept under ${first.dataDir} instead of ${configured}`);
    expect(first.note).toContain(`cannot enter ${priv} (mode 700, owner uid 0)`);
    expect(placeServer(configured, env, reachable).dataDir).toBe(first.dataDir);
    expect(placeServer(join(priv, 'other', 'var', 'pg'), env, reachable).dataDir).not.toBe(first.dataDir);
    const st = statSync(priv);
    expect([st.mode & 0o777, st.uid]).toEqual([0o700, 0]);
  });

  it('a cluster made elsewhere earlier is found again, even once the configured directory became reachable', () => {
    const project = join(top, 'later');
    mkdirSync(project, { mode: 0o700 });
    chmodSync(project, 0o700);
    const configured = join(project, 'var', 'pg');
    const { dataDir } = placeServer(configured, env, reachable);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'PG_VERSION'), '18\n');
    chmodSync(project, 0o755);
    expect(placeServer(configured, env, reachable).dataDir).toBe(dataDir);
  });

  it('falls back to the temp directory when the state directory is unusable', () => {
    const tmp = join(top, 'tmp');
    mkdirSync(tmp);
    const place = placeServer(join(priv, 'p2', 'pg'), { STATE_DIRECTORY: join(priv, 'state'), TMPDIR: tmp }, reachable);
    expect(place.dataDir).toMatch(new RegExp(`^${tmp}/erp-sync/pg-[0-9a-f]{16}$`));
    expect(statSync(join(tmp, 'erp-sync')).mode & 0o777).toBe(0o755);
  });

  it('refuses a temp directory someone else made first', () => {
    const tmp = join(top, 'squat');
    mkdirSync(join(tmp, 'erp-sync'), { recursive: true });
    const { uid, gid } = ids();
    chownSync(join(tmp, 'erp-sync'), uid, gid); // not root's: stands in for another user's directory
    expect(() => placeServer(join(priv, 'p3', 'pg'), { STATE_DIRECTORY: join(priv, 'state'), TMPDIR: tmp }, reachable)).toThrow(/erp-sync belongs to uid \d+, not root/);
  });

  it('where nothing works: a configuration error (exit 2) naming the directory, the reason and the settings', () => {
    const configured = join(priv, 'p4', 'var', 'pg');
    let error: unknown;
    try {
      placeServer(configured, { STATE_DIRECTORY: join(priv, 'state'), TMPDIR: priv }, reachable);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain(`the data directory ${configured}`);
    expect(message).toContain(`cannot enter ${priv} (mode 700, owner uid 0)`);
    expect(message).toContain('ERP_SYNC_DATA_DIR');
    expect(message).toContain('DATABASE_URL');
  });

  it('binaries below a 700 directory are copied under the state directory and run from there', () => {
    const place = placeServer(join(open, 'b1', 'pg'), env, hidden);
    expect(place.bin).toBe(join(state, `postgresql-${hidden.version}-${process.platform}-${process.arch}`, 'bin'));
    expect(place.dataDir).toBe(join(open, 'b1', 'pg'));
    expect(place.note).toContain(`its binaries run from a copy under ${state}`);
    expect(place.note).toContain(`cannot enter ${priv} (mode 700, owner uid 0)`);
  });

  it('neither binaries nor data directory reachable, nowhere to copy: the message names both', () => {
    const configured = join(priv, 'p5', 'var', 'pg');
    expect(() => placeServer(configured, { STATE_DIRECTORY: join(priv, 'state'), TMPDIR: priv }, hidden)).toThrow(
      new RegExp(`server binaries under ${hidden.dir}.*nor the data directory ${configured}: it cannot enter ${priv} \\(mode 700.*ERP_SYNC_DATA_DIR.*DATABASE_URL`),
    );
  });
});
