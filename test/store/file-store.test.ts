import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStoreError, recordFile, storeFile, storeStream, sweepFileStore } from '../../src/store/file-store.js';
import { useMigratedDatabase } from '../support/db.js';
import { seedBatch } from './fixtures.js';

const DAY = 86_400_000;
const NOW = new Date('2026-03-01T00:00:00Z');

function sourceFile(content: string): { path: string; sha256: string; size: number } {
  const dir = mkdtempSync(join(tmpdir(), 'erp-sync-src-'));
  const path = join(dir, 'extract.txt');
  writeFileSync(path, content);
  return { path, sha256: createHash('sha256').update(content).digest('hex'), size: Buffer.byteLength(content) };
}

const newDataDir = () => mkdtempSync(join(tmpdir(), 'erp-sync-data-'));

describe('storeFile', () => {
  it('keeps the bytes under files/<aa>/<sha256>, once, leaving no temporary file', async () => {
    const dataDir = newDataDir();
    const src = sourceFile('EXTRACT|2025-01-01|1|10.00|42\nDETAIL|...\n');
    const first = await storeFile(dataDir, src.path, src.sha256);
    const again = await storeFile(dataDir, src.path, src.sha256);

    expect(first).toEqual({ storagePath: `files/${src.sha256.slice(0, 2)}/${src.sha256}`, size: src.size, created: true });
    expect(again).toEqual({ ...first, created: false });
    expect(readFileSync(join(dataDir, first.storagePath), 'utf8')).toBe(readFileSync(src.path, 'utf8'));
    expect(readdirSync(join(dataDir, 'files', src.sha256.slice(0, 2)))).toEqual([src.sha256]);
  });

  it('refuses bytes that do not match the claimed sha256 and stores nothing', async () => {
    const dataDir = newDataDir();
    const src = sourceFile('one');
    const other = sourceFile('two');
    await expect(storeFile(dataDir, src.path, other.sha256)).rejects.toThrow(FileStoreError);
    expect(readdirSync(join(dataDir, 'files', other.sha256.slice(0, 2)))).toEqual([]);
    await expect(storeFile(dataDir, src.path, '../../etc/passwd')).rejects.toThrow(/not a lowercase hex sha256/);
  });
});

describe('storeStream', () => {
  async function* chunks(...parts: string[]): AsyncGenerator<Buffer> {
    for (const p of parts) yield Buffer.from(p);
  }

  it('keeps streamed bytes under the sha256 they hash to, once, leaving no temporary file', async () => {
    const dataDir = newDataDir();
    const sha256 = createHash('sha256').update('IIF bytes\nmore').digest('hex');
    const first = await storeStream(dataDir, chunks('IIF bytes\n', 'more'));
    const again = await storeStream(dataDir, chunks('IIF ', 'bytes\nmore'));

    expect(first).toEqual({ sha256, storagePath: `files/${sha256.slice(0, 2)}/${sha256}`, size: 14, created: true });
    expect(again).toEqual({ ...first, created: false });
    expect(readFileSync(join(dataDir, first.storagePath), 'utf8')).toBe('IIF bytes\nmore');
    expect(readdirSync(join(dataDir, 'files')).sort()).toEqual([sha256.slice(0, 2)]);
    expect(readdirSync(join(dataDir, 'files', sha256.slice(0, 2)))).toEqual([sha256]);
  });

  it('stores nothing when the source fails midway', async () => {
    const dataDir = newDataDir();
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('half of an entry');
      throw new Error('entry inflates beyond its declared size');
    }
    await expect(storeStream(dataDir, failing())).rejects.toThrow(/beyond its declared size/);
    expect(readdirSync(join(dataDir, 'files'))).toEqual([]);
  });
});

describe('recordFile and the retention sweep', () => {
  const db = useMigratedDatabase();

  it('records a file once per batch, sha256 and name, returning the same id', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'F-1');
    const f = { batchRowId, name: 'batch.zip', kind: 'zip', contentType: 'application/zip', sha256: 'd'.repeat(64), size: 10, storagePath: 'files/dd/x' };
    const id = await recordFile(ds, f);
    expect(await recordFile(ds, f)).toBe(id);
    const child = await recordFile(ds, { ...f, parentFileId: id, name: 'extract.txt', kind: 'sae', contentType: null });
    expect(child).not.toBe(id);
    const rows = (await ds.query(`SELECT name, kind, parent_file_id::text AS parent, size_bytes::int AS size FROM files WHERE batch_row_id = $1 ORDER BY id`, [
      batchRowId,
    ])) as unknown[];
    expect(rows).toEqual([
      { name: 'batch.zip', kind: 'zip', parent: null, size: 10 },
      { name: 'extract.txt', kind: 'sae', parent: id, size: 10 },
    ]);
  });

  it('records through a client inside the caller’s transaction', async () => {
    const ds = db.ds();
    const batchRowId = await seedBatch(ds, 'acme', 'F-tx');
    const qr = ds.createQueryRunner();
    try {
      await qr.startTransaction();
      const id = await recordFile(qr.manager, { batchRowId, name: 'a.txt', kind: 'sae', sha256: 'e'.repeat(64), size: 1 });
      await qr.rollbackTransaction();
      expect(id).toMatch(/^\d+$/);
    } finally {
      await qr.release();
    }
    expect(await ds.query(`SELECT id FROM files WHERE batch_row_id = $1`, [batchRowId])).toEqual([]);
  });

  const sweepDir = newDataDir();

  async function storedFor(batchState: string, concurBatchId: string, content: string, ageDays: number) {
    const ds = db.ds();
    const dataDir = sweepDir;
    const batchRowId = await seedBatch(ds, 'acme', concurBatchId, batchState);
    const src = sourceFile(content);
    const stored = await storeFile(dataDir, src.path, src.sha256);
    await recordFile(ds, { batchRowId, name: 'extract.txt', kind: 'sae', sha256: src.sha256, size: src.size, storagePath: stored.storagePath });
    const at = new Date(NOW.getTime() - ageDays * DAY);
    await ds.query(`UPDATE files SET created_at = $2 WHERE batch_row_id = $1`, [batchRowId, at]);
    utimesSync(join(dataDir, stored.storagePath), at, at);
    return { batchRowId, sha256: src.sha256, blob: join(dataDir, stored.storagePath) };
  }

  it('removes old files of done batches only, records it, and keeps what an open batch shares', async () => {
    const ds = db.ds();
    const old = await storedFor('done', 'S-old', 'old and done', 40);
    const young = await storedFor('done', 'S-young', 'young and done', 5);
    const open = await storedFor('quarantined', 'S-open', 'old but quarantined', 40);
    const shared = await storedFor('done', 'S-shared-done', 'shared content', 40);
    const sharedOpen = await storedFor('fetched', 'S-shared-open', 'shared content', 40);

    const result = await sweepFileStore(ds, sweepDir, { retentionDays: 30, now: NOW });

    expect(result).toEqual({ removed: [old.sha256], keptRecent: [] });
    expect(existsSync(old.blob)).toBe(false);
    for (const kept of [young, open, shared, sharedOpen]) expect(existsSync(kept.blob)).toBe(true);
    expect(await ds.query(`SELECT storage_path FROM files WHERE batch_row_id = $1`, [old.batchRowId])).toEqual([{ storage_path: null }]);
    const events = (await ds.query(`SELECT kind, detail FROM batch_events WHERE batch_row_id = $1`, [old.batchRowId])) as Array<{ detail: object }>;
    expect(events).toEqual([{ kind: 'file-removed', detail: expect.objectContaining({ sha256: old.sha256, name: 'extract.txt', retentionDays: 30 }) }]);

    // Idempotent: nothing more to do, no second event.
    expect(await sweepFileStore(ds, sweepDir, { retentionDays: 30, now: NOW })).toEqual({ removed: [], keptRecent: [] });
    expect(await ds.query(`SELECT id FROM batch_events WHERE batch_row_id = $1`, [old.batchRowId])).toHaveLength(1);
  });

  it('keeps a blob that was stored again recently, even if its records are old', async () => {
    const ds = db.ds();
    const again = await storedFor('done', 'S-again', 'stored again', 40);
    utimesSync(again.blob, NOW, NOW);
    const result = await sweepFileStore(ds, sweepDir, { retentionDays: 30, now: NOW });
    expect(result.keptRecent).toContain(again.sha256);
    expect(statSync(again.blob).size).toBeGreaterThan(0);
  });

  it('finishes the job when the blob is already gone', async () => {
    const ds = db.ds();
    const gone = await storedFor('done', 'S-gone', 'already deleted', 40);
    unlinkSync(gone.blob);
    expect((await sweepFileStore(ds, sweepDir, { retentionDays: 30, now: NOW })).removed).toContain(gone.sha256);
    expect(await ds.query(`SELECT storage_path FROM files WHERE batch_row_id = $1`, [gone.batchRowId])).toEqual([{ storage_path: null }]);
  });
});
