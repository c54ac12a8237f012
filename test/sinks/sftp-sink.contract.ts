// The sink's behaviour, asserted identically against every server fixture (embedded ssh2 and OpenSSH).
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SftpSinkConfigSchema, type SftpSinkConfigInput } from '../../sinks/sftp/config.js';
import { createSftpSink } from '../../sinks/sftp/sink.js';
import { createSftpPool, type SftpPool } from '../../sinks/sftp/connections.js';
import type { BatchToDeliver, FileResult } from '../../sinks/sink.js';
import { localFile, makeBatch, memoryLogger, type ServerFixture, tempDir } from './fixtures.js';

const noSleep = async () => undefined;

/** `pooled`: every sink of the contract shares one connection pool, as the daemon's do. */
export function sinkContract(start: () => Promise<ServerFixture>, opts: { pooled?: boolean } = {}): void {
  let server: ServerFixture;
  let dir: string;
  let pool: SftpPool | undefined;
  beforeAll(async () => {
    server = await start();
    dir = tempDir('batches');
    pool = opts.pooled ? createSftpPool() : undefined;
  });
  afterAll(async () => {
    server.proxy.cutAfterBytes = undefined;
    await pool?.close();
    await server.close();
  });

  const sink = (overrides: Partial<SftpSinkConfigInput> = {}) =>
    createSftpSink(SftpSinkConfigSchema.parse({ ...server.base, triggerFile: '.done', retries: { attempts: 1 }, ...overrides }), { log: memoryLogger().log, sleep: noSleep, pool });
  const remote = (r: FileResult) => readFileSync(server.local(r.remotePath));
  const leftovers = (r: FileResult) => readdirSync(dirname(server.local(r.remotePath))).filter((n) => n.endsWith('.erp-sync-part'));
  const entryPath = (batch: BatchToDeliver, i = 0) => `${server.base.remoteDir}/ACME_Corp/2024-05-03/Weekly_Expenses_${batch.concurBatchId}/${batch.entries[i]?.name}`;

  it('delivers the entries, then the manifest, then the trigger file, under their final names only', async () => {
    const batch = makeBatch(dir);
    const report = await sink().deliver(batch);
    expect(report.error).toBeUndefined();
    expect(report.ok).toBe(true);
    expect(report.files.map((f) => [f.kind, f.outcome])).toEqual([
      ['entry', 'delivered'],
      ['entry', 'delivered'],
      ['manifest', 'delivered'],
      ['trigger', 'delivered'],
    ]);
    const [first, second, manifest, trigger] = report.files as [FileResult, FileResult, FileResult, FileResult];
    expect(first.remotePath).toBe(entryPath(batch));
    expect(remote(first).equals(readFileSync(batch.entries[0]!.path))).toBe(true);
    expect(remote(second).equals(readFileSync(batch.entries[1]!.path))).toBe(true);
    expect(remote(trigger).length).toBe(0);
    expect(JSON.parse(remote(manifest).toString())).toEqual({
      format: 'erp-sync.manifest/2',
      company: 'ACME Corp',
      batchId: batch.concurBatchId,
      batchName: 'Weekly Expenses',
      closeTime: '2024-05-03T16:30:00.000Z',
      rows: 42,
      totals: { EUR: '-3.10', USD: '1200.50' },
      reconciliation: { status: 'reconciled', difference: {}, warnings: [] },
      files: batch.entries.map((e) => ({ kind: 'entry', path: e.name, sha256: e.sha256, size: e.size })),
    });
    expect(leftovers(first)).toEqual([]);
  });

  it('is idempotent: a second delivery finds every file already present and changes nothing', async () => {
    const batch = makeBatch(dir, {}, 100_000);
    const once = await sink({ verifySha256: true, deliver: 'both' }).deliver(batch);
    expect(once.error).toBeUndefined();
    const again = await sink({ verifySha256: true, deliver: 'both' }).deliver(batch);
    expect(again.ok).toBe(true);
    expect(again.files.map((f) => f.outcome)).toEqual(['already-present', 'already-present', 'already-present', 'already-present', 'already-present']);
    expect(again.files.map((f) => f.remotePath)).toEqual(once.files.map((f) => f.remotePath));
    expect(again.files[0]?.kind).toBe('original');
  });

  it('conflictPolicy fail: another file under the name is left alone and the batch fails permanently', async () => {
    const batch = makeBatch(dir);
    server.put(entryPath(batch), Buffer.from('someone else'));
    const report = await sink().deliver(batch);
    expect(report.ok).toBe(false);
    expect(report.error).toMatchObject({ code: 'conflict', retryable: false, remotePath: entryPath(batch) });
    expect(report.error?.message).toContain(entryPath(batch));
    expect(readFileSync(server.local(entryPath(batch)), 'utf8')).toBe('someone else');
    expect(report.files.map((f) => f.outcome)).toEqual(['failed', 'not-attempted', 'not-attempted', 'not-attempted']);
    expect(existsSync(server.local(report.files[2]!.remotePath))).toBe(false); // no manifest
  });

  it('conflictPolicy suffix: ours goes to name-1.ext, consistently across retries', async () => {
    const batch = makeBatch(dir);
    server.put(entryPath(batch), Buffer.from('someone else'));
    const first = await sink({ conflictPolicy: 'suffix' }).deliver(batch);
    expect(first.ok).toBe(true);
    const suffixed = entryPath(batch).replace(/\.txt$/, '-1.txt');
    expect(first.files[0]).toMatchObject({ outcome: 'conflict-suffixed', remotePath: suffixed });
    expect(readFileSync(server.local(entryPath(batch)), 'utf8')).toBe('someone else');
    expect(readFileSync(server.local(suffixed)).equals(readFileSync(batch.entries[0]!.path))).toBe(true);
    const manifest = JSON.parse(readFileSync(server.local(first.files[2]!.remotePath), 'utf8')) as { files: Array<{ path: string }> };
    expect(manifest.files[0]?.path).toBe(suffixed.split('/').pop());
    const retry = await sink({ conflictPolicy: 'suffix' }).deliver(batch);
    expect(retry.files.map((f) => f.outcome)).toEqual(['conflict-suffixed', 'already-present', 'already-present', 'already-present']);
    expect(retry.files[0]?.remotePath).toBe(suffixed);
  });

  it('conflictPolicy overwrite: replaces the other file atomically', async () => {
    const batch = makeBatch(dir);
    server.put(entryPath(batch), Buffer.from('stale'));
    const report = await sink({ conflictPolicy: 'overwrite' }).deliver(batch);
    expect(report.ok).toBe(true);
    expect(report.files[0]?.outcome).toBe('delivered');
    expect(readFileSync(server.local(entryPath(batch))).equals(readFileSync(batch.entries[0]!.path))).toBe(true);
    expect(leftovers(report.files[0]!)).toEqual([]);
  });

  it('a connection cut mid-upload leaves nothing under the final name; the next attempt delivers it completely', async () => {
    const big = localFile(dir, `big-${randomBytes(3).toString('hex')}.txt`, randomBytes(3 * 1024 * 1024));
    const batch = makeBatch(dir, { entries: [big] });
    server.proxy.cutAfterBytes = 1024 * 1024;
    const cut = await sink().deliver(batch);
    server.proxy.cutAfterBytes = undefined;
    expect(cut.ok).toBe(false);
    expect(cut.error?.retryable).toBe(true);
    expect(cut.error?.code).toBe('connection-lost');
    expect(existsSync(server.local(entryPath(batch)))).toBe(false);
    const retry = await sink().deliver(batch);
    expect(retry.error).toBeUndefined();
    expect(readFileSync(server.local(entryPath(batch))).equals(readFileSync(big.path))).toBe(true);
    expect(leftovers(retry.files[0]!)).toEqual([]);
  });

  it('permission denied: a retryable error naming the path', async () => {
    const report = await sink({ remoteDir: server.deniedDir }).deliver(makeBatch(dir));
    expect(report.ok).toBe(false);
    expect(report.error).toMatchObject({ code: 'permission-denied', retryable: true });
    expect(report.error?.message).toContain(server.deniedDir);
    expect(report.error?.message).toMatch(/permission denied/i);
  });

  it('disk full: a retryable error naming the path, nothing under the final name, delivered once space is back', async () => {
    const batch = makeBatch(dir);
    const undo = server.diskFull(entryPath(batch));
    const report = await sink().deliver(batch);
    expect(report.ok).toBe(false);
    expect(report.error?.retryable).toBe(true);
    expect(['no-space', 'remote-failure']).toContain(report.error?.code); // OpenSSH reports ENOSPC as a plain SFTP failure
    expect(report.error?.message).toContain(entryPath(batch).replace(/[^/]*$/, ''));
    expect(existsSync(server.local(entryPath(batch)))).toBe(false);
    undo();
    const retry = await sink().deliver(batch);
    expect(retry.error).toBeUndefined();
  });

  it('refuses a local file that is not the one the batch describes, before anything reaches the server', async () => {
    const batch = makeBatch(dir);
    const wrong = { ...batch, entries: [{ ...batch.entries[0]!, sha256: '0'.repeat(64) }] };
    const report = await sink().deliver(wrong);
    expect(report.error).toMatchObject({ code: 'local-file', retryable: false });
    expect(existsSync(server.local(entryPath(batch)))).toBe(false);
    expect(leftovers({ ...report.files[0]!, remotePath: entryPath(batch) })).toEqual([]);
  });
}
