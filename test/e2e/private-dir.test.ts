// The quick start as root from a directory below a 700 one (a clone under /root): the embedded PostgreSQL runs as
// the postgres user, who cannot enter it, so its files go to a per-project directory under the state directory.
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { runCli, waitForOutput } from './world.js';

const asRoot = userInfo().uid === 0;

/** Every path below `dir` whose owner is not root (the server's user must own nothing of the user's). */
function notRootOwned(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .map((e) => join(e.parentPath, e.name))
    .filter((p) => statSync(p).uid !== 0);
}

describe.skipIf(!asRoot)('the quick start as root below a 700 directory (skipped: the tests do not run as root)', () => {
  const top = mkdtempSync(join(tmpdir(), 'erp-sync-private-'));
  chmodSync(top, 0o755);
  const home = join(top, 'home');
  mkdirSync(home, { mode: 0o700 });
  chmodSync(home, 0o700);
  const state = join(top, 'state'); // stands in for /var/lib/erp-sync, so the test leaves nothing there
  mkdirSync(state);
  // Zero configuration, as `npm start`: no config file, no DATABASE_URL; only the data directory and ports differ.
  const env = { ERP_SYNC_CONFIG: '', ERP_SYNC_DATA_DIR: join(home, 'erp-sync', 'var'), HTTP_PORT: '0', STATE_DIRECTORY: state };
  afterAll(() => rmSync(top, { recursive: true, force: true }));

  it('start comes up, a batch reaches done, status joins the daemon, SIGTERM stops it and its server', async () => {
    const daemon = runCli(null, ['start'], env);
    try {
      const [, note] = await waitForOutput(daemon.read, /"note":"(erp-sync runs as root[^"]*)"/, daemon.done);
      const [, pgDir] = await waitForOutput(daemon.read, /"dataDir":"([^"]+)","level":"info","message":"embedded PostgreSQL started"/, daemon.done);
      expect(pgDir).toMatch(new RegExp(`^${state}/pg-[0-9a-f]{16}$`));
      expect(note).toContain(`cannot enter ${home} (mode 700, owner uid 0)`);
      expect(note).toContain('ERP_SYNC_DATA_DIR');
      const [, batch] = await waitForOutput(daemon.read, /"batch":"(\d+)"[^\n]*"message":"loaded → done"/, daemon.done);

      const status = await runCli(null, ['status', '--json'], env).done;
      expect(status.code).toBe(0);
      const rows = JSON.parse(status.output.slice(status.output.indexOf('\n['))) as { batchId: string; state: string }[];
      expect(rows.find((r) => r.batchId === batch)?.state).toBe('done');
      expect(existsSync(join(pgDir!, 'postmaster.pid'))).toBe(true);

      daemon.kill('SIGTERM');
      expect((await daemon.done).code).toBe(0);
      expect(existsSync(join(pgDir!, 'postmaster.pid'))).toBe(false);
      const st = statSync(home);
      expect([st.mode & 0o777, st.uid]).toEqual([0o700, 0]);
      expect(notRootOwned(home)).toEqual([]);
    } finally {
      daemon.kill('SIGKILL');
      await daemon.done;
    }
  });

  it('where no directory works, a command exits 2 naming the directory, the reason and the settings', async () => {
    const res = await runCli(null, ['status'], { ...env, STATE_DIRECTORY: join(home, 'state'), TMPDIR: home }).done;
    expect(res.code).toBe(2);
    expect(res.output).toContain(`the data directory ${join(home, 'erp-sync', 'var', 'pg')}`);
    expect(res.output).toContain(`cannot enter ${home} (mode 700, owner uid 0)`);
    expect(res.output).toMatch(/ERP_SYNC_DATA_DIR[^\n]*DATABASE_URL/);
  });
});
