// What a kill -9 leaves behind in the data directory (a download in the spool, the store's half-written .tmp files)
// is removed once untouched for a day; blobs, and temporaries a live writer may still be writing, stay.
import { mkdirSync, mkdtempSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spoolDirOf, sweepTemporaries } from '../../src/store/temporaries.js';

const NOW = new Date('2026-12-02T12:00:00Z');
const HOUR = 3_600_000;

function fileAt(path: string, ageMs: number): string {
  writeFileSync(path, 'x');
  const t = new Date(NOW.getTime() - ageMs);
  utimesSync(path, t, t);
  return path;
}

describe('sweeping stale temporaries', () => {
  it('removes spool files and .tmp files older than a day, at both levels of the store, and nothing else', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'erp-sync-temporaries-'));
    const sha = 'ab'.repeat(32);
    mkdirSync(spoolDirOf(dataDir), { recursive: true });
    mkdirSync(join(dataDir, 'files', 'ab'), { recursive: true });
    const stale = [
      fileAt(join(spoolDirOf(dataDir), '17-0a1b2c3d'), 25 * HOUR),
      fileAt(join(dataDir, 'files', '.incoming.0123456789ab.tmp'), 30 * HOUR),
      fileAt(join(dataDir, 'files', 'ab', `.${sha}.0123456789ab.tmp`), 48 * HOUR),
    ];
    const kept = [
      fileAt(join(spoolDirOf(dataDir), '18-live'), 23 * HOUR), // a writer may still be at it
      fileAt(join(dataDir, 'files', 'ab', `.${sha}.fresh.tmp`), HOUR),
      fileAt(join(dataDir, 'files', 'ab', sha), 400 * 24 * HOUR), // a blob: retention's business, not this sweep's
    ];
    expect((await sweepTemporaries(dataDir, NOW)).sort()).toEqual([...stale].sort());
    for (const p of stale) expect(existsSync(p), p).toBe(false);
    for (const p of kept) expect(existsSync(p), p).toBe(true);
    expect(await sweepTemporaries(dataDir, NOW)).toEqual([]);
  });

  it('finds nothing to do in a data directory that has no spool or store yet', async () => {
    expect(await sweepTemporaries(mkdtempSync(join(tmpdir(), 'erp-sync-temporaries-')), NOW)).toEqual([]);
  });
});
