// The content-addressed store of original batch files (files/<aa>/<sha256> under the data directory),
// their records in the database, and the retention sweep that removes old ones no open batch needs.
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, stat, unlink, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DataSource } from 'typeorm';
import type { Queryable } from '../db/sql.js';
import { prepared } from '../db/prepared.js';

const SHA256 = /^[0-9a-f]{64}$/;

export class FileStoreError extends Error {
  override name = 'FileStoreError';
}

/** Where a blob lives, relative to the data directory (what the database records). */
export function storagePathOf(sha256: string): string {
  if (!SHA256.test(sha256)) throw new FileStoreError(`not a lowercase hex sha256: ${JSON.stringify(sha256)}`);
  return `files/${sha256.slice(0, 2)}/${sha256}`;
}

/** A file-system error that says the path is not there. */
export function isMissing(err: unknown): boolean {
  return (err as NodeJS.ErrnoException).code === 'ENOENT';
}

/** fsync of a file or directory by path (Linux flushes the inode's data whatever descriptor asks). */
async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes `source` into `tmp`, fsyncs it, and returns the sha256 and size of what was written. */
async function writeHashed(source: AsyncIterable<Buffer>, tmp: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(source, tap, createWriteStream(tmp, { flags: 'wx', mode: 0o640 }));
  await fsyncPath(tmp);
  return { sha256: hash.digest('hex'), size };
}

export interface StoredFile {
  /** Relative to the data directory. */
  storagePath: string;
  size: number;
  /** False when the blob was already there. */
  created: boolean;
}

/** The blob already stored, its mtime refreshed (the retention sweep leaves a blob alone that was just stored again); null when absent. */
async function alreadyStored(storagePath: string, target: string): Promise<StoredFile | null> {
  try {
    const existing = await stat(target);
    const now = new Date();
    await utimes(target, now, now);
    return { storagePath, size: existing.size, created: false };
  } catch (err) {
    if (!isMissing(err)) throw err;
    return null;
  }
}

/** Where the blob of `sha256` goes (its directory made), or the blob itself when it is already stored. */
async function slotFor(dataDir: string, sha256: string): Promise<{ storagePath: string; target: string; existing: StoredFile | null }> {
  const storagePath = storagePathOf(sha256);
  const target = join(dataDir, storagePath);
  const existing = await alreadyStored(storagePath, target);
  if (!existing) await mkdir(dirname(target), { recursive: true });
  return { storagePath, target, existing };
}

/** Renames a written, fsynced temporary file to its blob's name and fsyncs the directory. */
async function commitBlob(tmp: string, target: string): Promise<void> {
  await rename(tmp, target);
  await fsyncPath(dirname(target));
}

/**
 * Puts a copy of srcPath into the store under its sha256, atomically (temp file, fsync, rename,
 * fsync of the directory). Already present: nothing is written. A copy whose bytes do not hash to
 * `sha256` is refused, so a blob's name always vouches for its content.
 */
export async function storeFile(dataDir: string, srcPath: string, sha256: string): Promise<StoredFile> {
  const { storagePath, target, existing } = await slotFor(dataDir, sha256);
  if (existing) return existing;
  const tmp = join(dirname(target), `.${sha256}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const written = await writeHashed(createReadStream(srcPath), tmp);
    if (written.sha256 !== sha256) throw new FileStoreError(`${srcPath}: content hashes to ${written.sha256}, not ${sha256}`);
    await commitBlob(tmp, target);
    return { storagePath, size: written.size, created: true };
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/**
 * Moves a file this process wrote and hashed as it wrote it (a download in the spool) into the store under that
 * sha256: fsync, rename, fsync of the directory, so its bytes are neither copied nor read again (for a 200k-line
 * SAE that was a third of the fetch). Already present: nothing is moved. Across filesystems (a data directory
 * whose files/ is mounted apart): a checked copy, as storeFile.
 */
export async function adoptFile(dataDir: string, srcPath: string, sha256: string): Promise<StoredFile> {
  const { storagePath, target, existing } = await slotFor(dataDir, sha256);
  if (existing) return existing;
  await fsyncPath(srcPath);
  const { size } = await stat(srcPath);
  try {
    await commitBlob(srcPath, target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    return storeFile(dataDir, srcPath, sha256);
  }
  return { storagePath, size, created: true };
}

/**
 * Streams bytes that are on disk nowhere else yet (a ZIP entry as it is inflated) into the store, in one pass:
 * written to a temporary file and hashed together, then renamed to the blob of that sha256 (or dropped when the
 * blob is already there). Returns the sha256 with where the blob is.
 */
export async function storeStream(dataDir: string, source: AsyncIterable<Buffer>): Promise<StoredFile & { sha256: string }> {
  const incoming = join(dataDir, 'files');
  await mkdir(incoming, { recursive: true });
  const tmp = join(incoming, `.incoming.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const { sha256, size } = await writeHashed(source, tmp);
    const { storagePath, target, existing } = await slotFor(dataDir, sha256);
    if (existing) {
      await unlink(tmp);
      return { ...existing, sha256 };
    }
    await commitBlob(tmp, target);
    return { storagePath, size, created: true, sha256 };
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

export interface FileRecord {
  batchRowId: number | string;
  parentFileId?: number | string | null;
  name: string;
  kind: string;
  contentType?: string | null;
  sha256: string;
  size: number;
  storagePath?: string | null;
}

/** Records a batch's file (idempotent on batch + sha256 + name); returns its id. */
export async function recordFile(db: Queryable, f: FileRecord): Promise<string> {
  const [row]: Array<{ id: string }> = await db.query(
    prepared(`INSERT INTO files (batch_row_id, parent_file_id, name, kind, content_type, sha256, size_bytes, storage_path)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (batch_row_id, sha256, name) DO UPDATE SET storage_path = COALESCE(EXCLUDED.storage_path, files.storage_path)
     RETURNING id::text AS id`),
    [f.batchRowId, f.parentFileId ?? null, f.name, f.kind, f.contentType ?? null, f.sha256, f.size, f.storagePath ?? null],
  );
  return row!.id;
}

export interface SweepResult {
  /** Blobs removed from the store. */
  removed: string[];
  /** Blobs the database would allow removing but that were stored again recently. */
  keptRecent: string[];
}

// A blob may go when every record of it is older than the cut-off and every batch using it is done.
function removableSql(oneBlob: boolean): string {
  return `SELECT f.sha256 FROM files f JOIN batches b ON b.id = f.batch_row_id
    ${oneBlob ? 'WHERE f.sha256 = $2' : ''}
    GROUP BY f.sha256
    HAVING count(f.storage_path) > 0 AND max(f.created_at) < $1 AND bool_and(b.state = 'done')`;
}

async function mtimeOf(path: string): Promise<Date | null> {
  try {
    return (await stat(path)).mtime;
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/**
 * Deletes stored files older than `retentionDays` that no unfinished batch needs, clears their
 * storage path and writes a `file-removed` audit event per file record. Safe to run concurrently.
 */
export async function sweepFileStore(ds: DataSource, dataDir: string, opts: { retentionDays: number; now?: Date }): Promise<SweepResult> {
  const cutoff = new Date((opts.now ?? new Date()).getTime() - opts.retentionDays * 86_400_000);
  const candidates = (await ds.query(removableSql(false), [cutoff])) as Array<{ sha256: string }>;
  const result: SweepResult = { removed: [], keptRecent: [] };
  for (const { sha256 } of candidates) {
    const outcome = await ds.transaction(async (m) => {
      // One sweeper per blob; re-check under the lock, since a batch may have taken it up meanwhile.
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('erp-sync file ' || $1, 0))`, [sha256]);
      if (!((await m.query(removableSql(true), [cutoff, sha256])) as unknown[]).length) return 'gone';
      const blob = join(dataDir, storagePathOf(sha256));
      const mtime = await mtimeOf(blob);
      if (mtime && mtime >= cutoff) return 'recent';
      await m.query(
        `WITH cleared AS (
           UPDATE files SET storage_path = NULL WHERE sha256 = $1 AND storage_path IS NOT NULL RETURNING id, batch_row_id, name)
         INSERT INTO batch_events (batch_row_id, company_id, kind, detail)
         SELECT c.batch_row_id, b.company_id, 'file-removed',
                jsonb_build_object('fileId', c.id::text, 'name', c.name, 'sha256', $1::text, 'retentionDays', $2::int)
         FROM cleared c JOIN batches b ON b.id = c.batch_row_id`,
        [sha256, opts.retentionDays],
      );
      // Deleted before the commit: should the commit fail, the next sweep finds the records still
      // pointing here and finishes the job (a missing blob counts as removed).
      await unlink(blob).catch((err: unknown) => (isMissing(err) ? undefined : Promise.reject(err)));
      return 'removed';
    });
    if (outcome === 'removed') result.removed.push(sha256);
    if (outcome === 'recent') result.keptRecent.push(sha256);
  }
  return result;
}
