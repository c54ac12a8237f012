import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { adoptFile } from '../../src/store/file-store.js';

const CONTENT = 'EXTRACT|2025-01-01|1|10.00|42\n';
const SHA256 = createHash('sha256').update(CONTENT).digest('hex');

/** A download in the data directory's spool, as the fetch leaves it. */
function spooled(dataDir: string, name: string): string {
  const path = join(dataDir, 'spool', name);
  writeFileSync(path, CONTENT);
  return path;
}

describe('adoptFile', () => {
  it('moves a download under files/<aa>/<sha256>; an identical later one is left where it is', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'erp-sync-data-'));
    mkdirSync(join(dataDir, 'spool'));
    const first = spooled(dataDir, 'one');
    const stored = await adoptFile(dataDir, first, SHA256);
    expect(stored).toEqual({ storagePath: `files/${SHA256.slice(0, 2)}/${SHA256}`, size: CONTENT.length, created: true });
    expect(existsSync(first)).toBe(false);
    expect(readFileSync(join(dataDir, stored.storagePath), 'utf8')).toBe(CONTENT);

    const again = spooled(dataDir, 'two');
    expect(await adoptFile(dataDir, again, SHA256)).toEqual({ ...stored, created: false });
    expect(existsSync(again)).toBe(true);
    expect(readdirSync(join(dataDir, 'files', SHA256.slice(0, 2)))).toEqual([SHA256]);
  });
});
