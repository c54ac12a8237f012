// Temporaries a killed process leaves in the data directory: downloads in the spool and the file store's
// half-written `.tmp` files (a kill -9 skips the cleanup that removes them). Removed once untouched for a day: a live
// writer touches its file with every chunk, and every download and copy has a timeout far shorter than that.
import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isMissing } from './file-store.js';

/** Where the fetch downloads a batch file before it moves it into the store. */
export const spoolDirOf = (dataDir: string): string => join(dataDir, 'spool');

const STALE_MS = 24 * 60 * 60_000;

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/** Removes `path` if it is a file last written before `cutoff`; true when it did. Gone meanwhile: false. */
async function removeIfStale(path: string, cutoff: number): Promise<boolean> {
  try {
    const s = await stat(path);
    if (!s.isFile() || s.mtimeMs >= cutoff) return false;
    await unlink(path);
    return true;
  } catch (err) {
    if (isMissing(err)) return false;
    throw err;
  }
}

/** The paths of stale temporaries removed: every spool file, and the store's `.tmp` files at either level. */
export async function sweepTemporaries(dataDir: string, now: Date): Promise<string[]> {
  const cutoff = now.getTime() - STALE_MS;
  const files = join(dataDir, 'files');
  const spool = spoolDirOf(dataDir);
  const candidates = (await entries(spool)).map((name) => join(spool, name));
  for (const name of await entries(files)) {
    if (name.endsWith('.tmp')) candidates.push(join(files, name));
    else if (/^[0-9a-f]{2}$/.test(name)) for (const inner of await entries(join(files, name))) if (inner.endsWith('.tmp')) candidates.push(join(files, name, inner));
  }
  const removed: string[] = [];
  for (const path of candidates) if (await removeIfStale(path, cutoff)) removed.push(path);
  return removed;
}
