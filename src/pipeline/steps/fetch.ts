// The fetch step: stream the batch file to the spool, keep it content-addressed, record it and its ZIP entries.
import { mkdir, rm } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { ConcurClient } from '../../concur/client.js';
import { openBatchFile, type ZipLimits } from '../../../parsers/index.js';
import { recordFile, storeFile } from '../../store/file-store.js';
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
    const spoolDir = join(deps.dataDir, 'spool');
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
      const stored = await storeFile(deps.dataDir, spool, file.sha256);
      const fileId = await recordFile(deps.ds, {
        batchRowId: batch.id, name, kind: file.kind, contentType: file.contentType, sha256: file.sha256, size: file.size, storagePath: stored.storagePath,
      });
      ctx.logger.info('batch file fetched', { file: name, kind: file.kind, bytes: file.size, sha256: file.sha256 });
      if (file.kind === 'zip') await storeEntries(deps, batch.id, fileId, join(deps.dataDir, stored.storagePath), name, spoolDir);
      return { kind: 'fetched', fileId, sha256: file.sha256, size: file.size };
    } finally {
      await rm(spool, { force: true });
    }
  };
}

/** Extracts each ZIP entry into the file store (the ZIP guards apply) so sinks can deliver entries one by one. */
async function storeEntries(deps: FetchDeps, batchRowId: string, parentId: string, zipPath: string, zipName: string, spoolDir: string): Promise<void> {
  const parts = await openBatchFile(zipPath, { fileName: zipName, zipLimits: deps.zipLimits });
  for (const part of parts) {
    const tmp = join(spoolDir, `${batchRowId}-entry-${randomBytes(4).toString('hex')}`);
    try {
      await pipeline(Readable.from(part.open()), createWriteStream(tmp));
      const stored = await storeFile(deps.dataDir, tmp, part.sha256);
      await recordFile(deps.ds, { batchRowId, parentFileId: parentId, name: part.name, kind: part.kind, sha256: part.sha256, size: part.bytes, storagePath: stored.storagePath });
    } finally {
      await rm(tmp, { force: true });
    }
  }
}
