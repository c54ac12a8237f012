// Item 6 of issue 16: no delivered file is lost to a temporary name, and the manifest is checked against what is
// actually on the server before it is written.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SftpSinkConfigSchema } from '../../sinks/sftp/config.js';
import { createSftpSink } from '../../sinks/sftp/sink.js';
import { embeddedServer, localFile, makeBatch, memoryLogger, tempDir } from '../sinks/fixtures.js';

let server: Awaited<ReturnType<typeof embeddedServer>>;
let dir: string;
beforeAll(async () => {
  server = await embeddedServer();
  dir = tempDir('names');
});
afterAll(() => server.close());

const sink = (over: Record<string, unknown> = {}) => createSftpSink(SftpSinkConfigSchema.parse({ ...server.base, retries: { attempts: 1 }, ...over }), { log: memoryLogger().log, sleep: async () => undefined });
const batchDir = (concurBatchId: string) => `/out/ACME_Corp/2024-05-03/Weekly_Expenses_${concurBatchId}`;

describe('temporary names', () => {
  it("a ZIP holding another entry's temporary name is refused before anything is written, naming both", async () => {
    const batch = makeBatch(dir);
    batch.entries = [localFile(dir, '.batch_GL.csv.erp-sync-part', randomBytes(50)), localFile(dir, 'batch_GL.csv', randomBytes(60))];
    const report = await sink().deliver(batch);
    expect(report.ok).toBe(false);
    expect(report.error).toMatchObject({ code: 'config', retryable: false });
    expect(report.error?.message).toMatch(/entry "batch_GL\.csv" \(its temporary name\) and entry "\.batch_GL\.csv\.erp-sync-part" would both be written as .*\/\.batch_GL\.csv\.erp-sync-part/);
    expect(existsSync(server.local(batchDir(batch.concurBatchId)))).toBe(false);
  });

  it('a file overwritten through a suffixed name is caught by the check against the server; the retry delivers every file', async () => {
    const batch = makeBatch(dir);
    // With a.csv taken by someone else, a.csv goes to a-1.csv through the temporary name .a-1.csv.erp-sync-part:
    // exactly the name of the first entry.
    const first = localFile(dir, '.a-1.csv.erp-sync-part', randomBytes(70));
    const second = localFile(dir, 'a.csv', randomBytes(80));
    batch.entries = [first, second];
    server.put(`${batchDir(batch.concurBatchId)}/a.csv`, Buffer.from('someone else'));
    const once = await sink({ conflictPolicy: 'suffix' }).deliver(batch);
    expect(once.ok).toBe(false);
    expect(once.error).toMatchObject({ code: 'verify-failed', retryable: true, remotePath: `${batchDir(batch.concurBatchId)}/.a-1.csv.erp-sync-part` });
    expect(existsSync(server.local(`${batchDir(batch.concurBatchId)}/manifest.json`))).toBe(false);

    const again = await sink({ conflictPolicy: 'suffix' }).deliver(batch);
    expect(again.error).toBeUndefined();
    const local = (name: string) => readFileSync(server.local(`${batchDir(batch.concurBatchId)}/${name}`));
    expect(local('.a-1.csv.erp-sync-part').equals(readFileSync(first.path))).toBe(true);
    expect(local('a-1.csv').equals(readFileSync(second.path))).toBe(true);
    expect(local('a.csv').toString()).toBe('someone else');
    const manifest = JSON.parse(local('manifest.json').toString()) as { files: Array<{ path: string; sha256: string }> };
    for (const f of manifest.files) expect(existsSync(server.local(`${batchDir(batch.concurBatchId)}/${f.path}`)), f.path).toBe(true);
    expect(readdirSync(server.local(batchDir(batch.concurBatchId))).sort()).toEqual(['.a-1.csv.erp-sync-part', 'a-1.csv', 'a.csv', 'manifest.json']);
  });
});
