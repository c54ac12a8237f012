// The fetch step: stream the batch file to the spool, keep it content-addressed, record it and its ZIP entries.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ConcurClient } from '../../concur/client.js';
import { extractedEntryKind, openZip, type ZipLimits } from '../../../parsers/index.js';
import { adoptFile, recordFile, storeStream } from '../../store/file-store.js';
import { spoolDirOf } from '../../store/temporaries.js';
import { faultPoint } from '../../faults.js';
import type { Outcome } from '../machine.js';
import type { StepContext } from '../worker.js';
import { concurFailure } from './concur.js';

const EXTENSION: Record<string, string> = { zip: 'zip', sae: 'txt', iif: 'iif', csv: 'csv' };

export interface FetchDeps {
  ds: DataSource;
  dataDir: string;
  clientFor: (companyId: string) => ConcurClient;
  zipLimits: ZipLimits;
}

export function fetchStep(deps: FetchDeps) {
  return async function fetch(ctx: StepContext): Promise<Outcome> {
    const { batch } = ctx;
    const spoolDir = spoolDirOf(deps.dataDir);
    await mkdir(spoolDir, { recursive: true });
    const spool = join(spoolDir, `${batch.id}-${randomBytes(4).toString('hex')}`);
    try {
      let file;
      try {
        file = await deps.clientFor(ctx.company.id).downloadFile(batch.fileUrl ?? '', spool);
      } catch (e) {
        return { kind: 'failed', error: concurFailure(e, batch.attempts + 1, ctx.now()) };
      }
      faultPoint('fetch:after-download');
      const name = `${batch.concurBatchId}.${EXTENSION[file.kind] ?? 'bin'}`;
      // Hashed as it was downloaded: moved into the store, not copied.
      const stored = await adoptFile(deps.dataDir, spool, file.sha256);
      const fileId = await recordFile(deps.ds, {
        batchRowId: batch.id, name, kind: file.kind, contentType: file.contentType, sha256: file.sha256, size: file.size, storagePath: stored.storagePath,
      });
      ctx.logger.info('batch file fetched', { file: name, kind: file.kind, bytes: file.size, sha256: file.sha256 });
      if (file.kind === 'zip') await storeEntries(deps, batch.id, fileId, join(deps.dataDir, stored.storagePath), name);
      return { kind: 'fetched', fileId, sha256: file.sha256, size: file.size };
    } finally {
      await rm(spool, { force: true });
    }
  };
}

/**
 * Extracts each ZIP entry into the file store (the ZIP guards apply) so sinks can deliver entries one by one and
 * the load parses them without opening the ZIP again. Each entry is inflated once, hashed as it is written; the
 * entries are recorded only once all are stored, so a ZIP refused midway records none, as before.
 */
async function storeEntries(deps: FetchDeps, batchRowId: string, parentId: string, zipPath: string, zipName: string): Promise<void> {
  const stored = [];
  for (const entry of await openZip(zipPath, deps.zipLimits, zipName)) {
    const blob = await storeStream(deps.dataDir, entry.open());
    stored.push({ name: entry.name, kind: await extractedEntryKind(entry.name, join(deps.dataDir, blob.storagePath)), ...blob });
  }
  for (const e of stored) {
    await recordFile(deps.ds, { batchRowId, parentFileId: parentId, name: e.name, kind: e.kind, sha256: e.sha256, size: e.size, storagePath: e.storagePath });
  }
}
