// What a newcomer gets without any configuration (as `npm start` runs it): the built-in Concur sandbox, the local
// SFTP drop, and in the drop, beside the files as Concur wrote them, the normalized journal as a generic CSV.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase } from '../support/db.js';
import { dropContents, REPO } from './world.js';

describe('no configuration', () => {
  let db: Awaited<ReturnType<typeof createDatabase>> | undefined;
  afterAll(() => db?.drop());

  it('delivers a normalized CSV beside the original files of every batch in the local drop', async () => {
    db = await createDatabase();
    const dataDir = mkdtempSync(join(tmpdir(), 'erp-sync-newcomer-'));
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO, 'src', 'cli.ts'), 'run-once'], {
      cwd: REPO,
      env: { ...process.env, ERP_SYNC_CONFIG: '', DATABASE_URL: db.url, ERP_SYNC_DATA_DIR: dataDir, HTTP_PORT: '0', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code, output.slice(-3000)).toBe(0);

    const files = [...dropContents(join(dataDir, 'sftp-drop')).keys()];
    const folders = new Set(files.map((f) => f.slice(0, f.lastIndexOf('/'))));
    // Four batches with transactions (the empty one waits for its next close window).
    expect(folders.size).toBe(4);
    for (const folder of folders) {
      const names = files.filter((f) => f.startsWith(`${folder}/`)).map((f) => f.slice(folder.length + 1));
      const concurBatchId = folder.slice(folder.lastIndexOf('_') + 1);
      expect(names).toContain(`${concurBatchId}.generic.csv`);
      expect(names).toContain('manifest.json');
      // The originals: the batch file (or, for the QuickBooks ZIP, its IIF and GL CSV).
      expect(names.filter((n) => n !== 'manifest.json' && !n.endsWith('.generic.csv')).length).toBeGreaterThan(0);
    }
  });
});
