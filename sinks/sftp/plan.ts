// Which files a batch delivery writes, in which order, and under which remote paths (a pure decision).
import type { BatchToDeliver, FileKind, LocalFile } from '../sink.js';
import { SinkError } from '../sink.js';
import { renderRemotePath } from './path-template.js';
import type { DeliverWhat, SftpSinkConfig } from './config.js';
import { formatName, journalFileName, type FormatConfig } from '../journal/config.js';

export interface PlannedFile {
  kind: Extract<FileKind, 'original' | 'entry'>;
  local: LocalFile;
  remotePath: string;
}

/** A normalized journal file: built from the stored transactions just before upload. */
export interface PlannedJournal {
  format: FormatConfig;
  name: string;
  remotePath: string;
}

export interface DeliveryPlan {
  data: PlannedFile[];
  journal: PlannedJournal[];
  /** Remote path of the manifest, when one is configured. */
  manifestPath?: string;
  /** Remote path of the trigger file, when one is configured; written last. */
  triggerPath?: string;
}

type PlanConfig = Pick<SftpSinkConfig, 'remoteDir' | 'pathTemplate' | 'deliver' | 'manifest' | 'manifestFile' | 'triggerFile'> & { formats?: FormatConfig[] };

/** What a `deliver` setting asks for, as a set. */
export function deliverSet(deliver: PlanConfig['deliver']): Set<Exclude<DeliverWhat, 'both'>> {
  const asked = Array.isArray(deliver) ? deliver : [deliver];
  return new Set(asked.flatMap((d) => (d === 'both' ? (['original', 'entries'] as const) : [d])));
}

function selectFiles(batch: BatchToDeliver, deliver: PlanConfig['deliver']): Array<Omit<PlannedFile, 'remotePath'>> {
  const asked = deliverSet(deliver);
  const original = { kind: 'original' as const, local: batch.original };
  const entries = batch.entries.map((local) => ({ kind: 'entry' as const, local }));
  // A plain extract is its own only entry.
  const wantOriginal = asked.has('original') || (asked.has('entries') && entries.length === 0);
  return [...(wantOriginal ? [original] : []), ...(asked.has('entries') ? entries : [])];
}

/** Plans a delivery; two files landing on the same remote path is a permanent error, never an overwrite. */
export function planDelivery(batch: BatchToDeliver, config: PlanConfig): DeliveryPlan {
  const pathFor = (file: string) => renderRemotePath(config.remoteDir, config.pathTemplate, { ...batch, batchId: batch.concurBatchId, file });
  const data = selectFiles(batch, config.deliver).map((f) => ({ ...f, remotePath: pathFor(f.local.name) }));
  const journal = deliverSet(config.deliver).has('normalized')
    ? (config.formats ?? []).map((format) => {
        const name = journalFileName(format, batch.concurBatchId);
        return { format, name, remotePath: pathFor(name) };
      })
    : [];
  const plan: DeliveryPlan = { data, journal };
  if (config.manifest) plan.manifestPath = pathFor(config.manifestFile);
  if (config.triggerFile) plan.triggerPath = pathFor(config.triggerFile);

  // Final and temporary names alike: an entry named like another file's temporary name would be overwritten by
  // that file's upload and renamed away (a hostile ZIP could lose a file this way).
  const seen = new Map<string, string>();
  const claim = (remotePath: string, what: string) => {
    for (const [path, use] of [
      [remotePath, `${what}`],
      [temporaryPath(remotePath), `${what} (its temporary name)`],
    ] as const) {
      const earlier = seen.get(path);
      if (earlier) throw new SinkError('config', `${use} and ${earlier} would both be ${path === remotePath ? 'delivered' : 'written'} as ${path}; adjust pathTemplate or names`, remotePath);
      seen.set(path, use);
    }
  };
  for (const f of data) claim(f.remotePath, `${f.kind} "${f.local.name}"`);
  for (const f of journal) claim(f.remotePath, `the ${formatName(f.format)} journal`);
  if (plan.manifestPath) claim(plan.manifestPath, 'the manifest');
  if (plan.triggerPath) claim(plan.triggerPath, 'the trigger file');
  return plan;
}

/** Candidate names for the `suffix` conflict policy: report.csv -> report-1.csv, report-2.csv, ... */
export function suffixedPath(remotePath: string, n: number): string {
  const slash = remotePath.lastIndexOf('/');
  const base = remotePath.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  return `${remotePath.slice(0, slash + 1)}${stem}-${n}${ext}`;
}

/** The temporary name an upload is written under, in the target's own directory (so the rename is atomic). */
export function temporaryPath(remotePath: string): string {
  const slash = remotePath.lastIndexOf('/');
  return `${remotePath.slice(0, slash + 1)}.${remotePath.slice(slash + 1)}.erp-sync-part`;
}
