// The manifest JSON delivered with each batch. Deterministic (no "generated at"): a retry produces the
// same bytes, so an already-delivered manifest is recognised as such instead of conflicting.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { BatchToDeliver, FileKind } from '../sink.js';
import { shownStatus } from '../../src/model/reconciliation.js';

// 2: reconciliation in the one vocabulary (`reconciled`, not `matched`), differences by check, warnings.
export const MANIFEST_FORMAT = 'erp-sync.manifest/2';

export interface ManifestFile {
  kind: Extract<FileKind, 'original' | 'entry' | 'normalized'>;
  /** The journal format of a normalized file. */
  format?: string;
  remotePath: string;
  sha256: string;
  size: number;
}

/** The manifest's bytes; file paths are relative to the manifest's own directory. */
export function buildManifest(batch: BatchToDeliver, manifestRemotePath: string, files: ManifestFile[]): Buffer {
  const dir = posix.dirname(manifestRemotePath);
  const totals = Object.fromEntries(Object.entries(batch.totals).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const manifest = {
    format: MANIFEST_FORMAT,
    company: batch.company,
    batchId: batch.concurBatchId,
    batchName: batch.batchName,
    closeTime: batch.closeDate.toISOString(),
    rows: batch.rows,
    totals,
    reconciliation: { status: shownStatus(batch.reconciliation), difference: batch.reconciliation?.difference ?? {}, warnings: batch.reconciliation?.warnings ?? [] },
    files: files.map((f) => ({ kind: f.kind, ...(f.format ? { format: f.format } : {}), path: posix.relative(dir, f.remotePath), sha256: f.sha256, size: f.size })),
  };
  return Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8');
}

export function sha256Hex(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
