// The SFTP delivery: every file goes to a temporary name in its target directory, is checked there,
// and only then renamed to its final name, so the drop never shows a partial file under a final name.
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { log as rootLog } from '../../src/log.js';
import { planDelivery, suffixedPath, temporaryPath, type DeliveryPlan } from './plan.js';
import { renderFormat } from '../journal/render.js';
import { buildManifest, sha256Hex, type ManifestFile } from './manifest.js';
import type { SftpSinkConfig } from './config.js';
import type { SessionDeps, SftpSession } from './session.js';
import { createSftpPool, type SftpPool } from './connections.js';
import type { Lease } from './pool.js';
import { type BatchToDeliver, type DeliveredOutcome, type DeliveryReport, type FileKind, type FileResult, type Sink, SinkError } from '../sink.js';

/** How many suffixed names (-1 … -N) the `suffix` policy tries before giving up. */
const MAX_SUFFIX = 99;
/** How often a file may lose the race for its name (created by someone else between our check and rename). */
const MAX_RACES = 3;

interface Item {
  kind: FileKind;
  /** The journal format of a normalized file. */
  format?: string;
  name: string;
  remotePath: string;
  sha256: string;
  size: number;
  source: string | Buffer;
}

type Logger = SessionDeps['log'];

export interface SftpSinkDeps extends SessionDeps {
  /** Connections shared across deliveries (the app's); without one, every delivery opens and ends its own. */
  pool?: SftpPool;
}

export function createSftpSink(config: SftpSinkConfig, deps: Partial<SftpSinkDeps> = {}): Sink {
  // Without a shared pool: a private one that keeps nothing idle, so there is nothing to close.
  const pool = deps.pool ?? createSftpPool({ maxConnections: Number.MAX_SAFE_INTEGER });
  const connections = deps.pool ? config : { ...config, pool: { ...config.pool, idleMs: 0 } };
  return {
    name: 'sftp',
    deliver: (batch) =>
      deliverBatch(connections, pool, { ...deps, log: (deps.log ?? rootLog).child({ sink: 'sftp', company: batch.company, batchId: batch.concurBatchId }) }, batch),
  };
}

function bufferItem(kind: FileKind, name: string, remotePath: string, content: Buffer): Item {
  return { kind, name, remotePath, sha256: sha256Hex(content), size: content.length, source: content };
}

function resultOf(item: Item, extra: { outcome: DeliveredOutcome; remotePath: string } | { outcome: 'failed'; error: SinkError } | { outcome: 'not-attempted' }): FileResult {
  const { kind, name, remotePath, sha256, size } = item;
  return { kind, name, remotePath, sha256, size, ...extra } as FileResult;
}

/** What one delivery sends, known before connecting. */
interface Work {
  batch: BatchToDeliver;
  plan: DeliveryPlan;
  data: Item[];
  /** The manifest and trigger file, not yet built: listed without hash and size when an earlier file fails. */
  unbuiltTail: Item[];
}

function failed(error: SinkError, files: FileResult[], failedItem: Item | undefined, rest: Item[]): DeliveryReport {
  if (failedItem) files.push(resultOf(failedItem, { outcome: 'failed', error }));
  for (const item of rest) files.push(resultOf(item, { outcome: 'not-attempted' }));
  return { sink: 'sftp', ok: false, files, error };
}

async function deliverBatch(config: SftpSinkConfig, pool: SftpPool, deps: SessionDeps, batch: BatchToDeliver): Promise<DeliveryReport> {
  const report = await deliverWithPool(config, pool, deps, batch);
  if (report.error) deps.log.error('SFTP delivery failed', { code: report.error.code, retryable: report.error.retryable, error: report.error.message });
  return report;
}

async function deliverWithPool(config: SftpSinkConfig, pool: SftpPool, deps: SessionDeps, batch: BatchToDeliver): Promise<DeliveryReport> {
  let plan;
  try {
    plan = planDelivery(batch, config);
  } catch (error) {
    const typed = error instanceof SinkError ? error : new SinkError('config', String(error));
    return { sink: 'sftp', ok: false, files: [], error: typed };
  }
  let journal: Item[];
  try {
    journal = await journalItems(batch, config, plan);
  } catch (error) {
    // A database failure is thrown on (the step is retried); a journal that cannot be built is reported.
    if (!(error instanceof SinkError)) throw error;
    return { sink: 'sftp', ok: false, files: [], error };
  }
  const local: Item[] = plan.data.map((f) => ({ kind: f.kind, name: f.local.name, remotePath: f.remotePath, sha256: f.local.sha256, size: f.local.size, source: f.local.path }));
  const data = [...local, ...journal];
  const unbuiltTail: Item[] = [];
  if (plan.manifestPath) unbuiltTail.push({ kind: 'manifest', name: config.manifestFile, remotePath: plan.manifestPath, sha256: '', size: 0, source: Buffer.alloc(0) });
  if (plan.triggerPath && config.triggerFile) unbuiltTail.push(bufferItem('trigger', config.triggerFile, plan.triggerPath, Buffer.alloc(0)));

  const missing = await firstLocalProblem(local);
  if (missing) return failed(missing.error, [], missing.item, [...data.filter((d) => d !== missing.item), ...unbuiltTail]);

  const work: Work = { batch, plan, data, unbuiltTail };
  const attempt = async (fresh: boolean) => {
    let lease: Lease<SftpSession>;
    try {
      lease = await pool.lease(config, deps, { fresh });
    } catch (error) {
      return { lease: undefined, report: failed(asSinkError(error), [], undefined, [...data, ...unbuiltTail]) };
    }
    let report: DeliveryReport | undefined;
    try {
      report = await deliverOver(lease.connection, config, deps.log, work);
      return { lease, report };
    } finally {
      // Only a connection that served a whole delivery without a fault is kept; a thrown error ends it too.
      await pool.release(lease, report?.ok === true);
    }
  };
  const first = await attempt(false);
  // A pooled connection can die while idle (the server's own idle limit) just before we use it: nothing was done
  // on it, so the delivery is tried once more on a new connection instead of waiting for the pipeline's back-off.
  if (first.lease?.reused && !first.report.ok && !first.lease.connection.used && isConnectionFault(first.report.error, first.lease.connection)) {
    deps.log.info('SFTP reused connection failed on first use; retrying on a new connection', { code: first.report.error?.code, error: first.report.error?.message });
    return (await attempt(true)).report;
  }
  return first.report;
}

function isConnectionFault(error: SinkError | undefined, session: SftpSession): boolean {
  return session.connectionLost || error?.code === 'connection-lost' || error?.code === 'timeout';
}

/** The delivery proper, over one connection: data files, the server-side check, the manifest, the trigger file. */
async function deliverOver(session: SftpSession, config: SftpSinkConfig, log: Logger, work: Work): Promise<DeliveryReport> {
  const { batch, plan, data, unbuiltTail } = work;
  const files: FileResult[] = [];
  const delivered: ManifestFile[] = [];
  for (const [i, item] of data.entries()) {
    try {
      const result = await deliverFile(session, config, log, item);
      files.push(result);
      delivered.push({ kind: item.kind as ManifestFile['kind'], ...(item.format ? { format: item.format } : {}), remotePath: result.remotePath, sha256: item.sha256, size: item.size });
    } catch (error) {
      return failed(asSinkError(error), files, item, [...data.slice(i + 1), ...unbuiltTail]);
    }
  }
  // The manifest describes what is on the server: checked there, not taken from what we sent.
  const gone = await firstNotOnServer(session, config, delivered);
  if (gone) return failed(gone, files, undefined, unbuiltTail);
  // The trigger file comes last, once everything is there.
  const tail: Item[] = [];
  if (plan.manifestPath) tail.push(bufferItem('manifest', config.manifestFile, plan.manifestPath, buildManifest(batch, plan.manifestPath, delivered)));
  if (plan.triggerPath && config.triggerFile) tail.push(bufferItem('trigger', config.triggerFile, plan.triggerPath, Buffer.alloc(0)));
  for (const [i, item] of tail.entries()) {
    try {
      files.push(await deliverFile(session, config, log, item));
    } catch (error) {
      return failed(asSinkError(error), files, item, tail.slice(i + 1));
    }
  }
  return { sink: 'sftp', ok: true, files };
}

/** The normalized journal files, built from the stored transactions and checked against the stored totals. */
async function journalItems(batch: BatchToDeliver, config: SftpSinkConfig, plan: DeliveryPlan): Promise<Item[]> {
  if (plan.journal.length === 0) return [];
  if (!batch.journal) throw new SinkError('config', 'deliver: normalized needs the stored transactions, which this delivery lacks');
  const stored = await batch.journal();
  return plan.journal.map((p) => {
    const file = renderFormat(stored, p.format, config);
    return { ...bufferItem('normalized', file.name, p.remotePath, file.bytes), format: file.format };
  });
}

function asSinkError(error: unknown): SinkError {
  return error instanceof SinkError ? error : new SinkError('remote-failure', error instanceof Error ? error.message : String(error), undefined, { cause: error });
}

/** A delivered file that is not (or no longer) on the server as delivered: something else took its name. */
async function firstNotOnServer(session: SftpSession, config: SftpSinkConfig, delivered: ManifestFile[]): Promise<SinkError | undefined> {
  for (const f of delivered) {
    const size = await session.size(f.remotePath);
    const sha = size === f.size && config.verifySha256 ? await session.sha256(f.remotePath) : f.sha256;
    if (size !== f.size || sha !== f.sha256) {
      return new SinkError('verify-failed', `${f.remotePath} is not on the server as delivered (${size ?? 'no'} bytes, expected ${f.size} bytes sha256 ${f.sha256}); manifest not written`, f.remotePath);
    }
  }
  return undefined;
}

/** A local file that is missing or not the stated size fails the batch before we connect (no retry can help). */
async function firstLocalProblem(items: Item[]): Promise<{ item: Item; error: SinkError } | undefined> {
  for (const item of items) {
    const path = item.source as string;
    const size = await stat(path).then((s) => s.size, (e: Error) => e);
    if (size instanceof Error) return { item, error: new SinkError('local-file', `read ${path}: ${size.message}`, item.remotePath, { cause: size }) };
    if (size !== item.size) return { item, error: new SinkError('local-file', `${path} has ${size} bytes, the batch states ${item.size}`, item.remotePath) };
  }
  return undefined;
}

/** Delivers one file under its final name (or a suffixed one), applying the conflict policy. */
async function deliverFile(session: SftpSession, config: SftpSinkConfig, log: Logger, item: Item): Promise<FileResult> {
  await session.mkdirs(posix.dirname(item.remotePath));
  let races = 0;
  for (let n = 0; n <= MAX_SUFFIX; n++) {
    const target = n === 0 ? item.remotePath : suffixedPath(item.remotePath, n);
    const outcome = (fresh: boolean): FileResult => resultOf(item, { outcome: n > 0 ? 'conflict-suffixed' : fresh ? 'delivered' : 'already-present', remotePath: target });
    const existing = await session.size(target);
    if (existing !== null) {
      if (existing === item.size && (await session.sha256(target)) === item.sha256) return outcome(false);
      if (config.conflictPolicy === 'suffix') continue;
      if (config.conflictPolicy === 'fail') {
        throw new SinkError('conflict', `${target} already exists with other content (${existing} bytes, ours ${item.size}); conflictPolicy is fail`, target);
      }
    }
    const committed = await uploadAndCommit(session, config, log, item, target, existing !== null);
    if (committed) {
      log.info('SFTP file delivered', { remotePath: target, size: item.size, sha256: item.sha256 });
      return outcome(true);
    }
    if (++races > MAX_RACES) throw new SinkError('conflict', `${target} keeps appearing while we deliver; another writer uses this name`, target);
    n--; // someone created the target meanwhile: judge it again under the same policy
  }
  throw new SinkError('conflict', `${item.remotePath} and its suffixed names -1…-${MAX_SUFFIX} are all taken by other content`, item.remotePath);
}

/** Uploads to the temporary name, verifies it, renames it to `target`. False when the target appeared meanwhile (nothing overwritten). */
async function uploadAndCommit(session: SftpSession, config: SftpSinkConfig, log: Logger, item: Item, target: string, replace: boolean): Promise<boolean> {
  const temp = temporaryPath(target);
  const sent = await session.upload(item.source, temp);
  const discard = () => session.remove(temp).catch(() => undefined);
  if (sent.sha256 !== item.sha256 || sent.size !== item.size) {
    await discard();
    throw new SinkError('local-file', `${String(item.source instanceof Buffer ? item.name : item.source)} changed: read ${sent.size} bytes sha256 ${sent.sha256}, the batch states ${item.size} bytes sha256 ${item.sha256}`, target);
  }
  const remoteSize = await session.size(temp);
  const remoteSha = config.verifySha256 && remoteSize === item.size ? await session.sha256(temp) : item.sha256;
  if (remoteSize !== item.size || remoteSha !== item.sha256) {
    await discard();
    throw new SinkError('verify-failed', `${temp} holds ${remoteSize ?? 'no'} bytes${remoteSha !== item.sha256 ? ` sha256 ${remoteSha}` : ''} after upload, expected ${item.size} bytes sha256 ${item.sha256}`, target);
  }
  if (replace) {
    log.warn('SFTP overwriting a file with other content (conflictPolicy overwrite)', { remotePath: target });
    if (await session.posixRename(temp, target)) return true;
    log.warn('SFTP server lacks posix-rename: removing the old file before renaming, the name is briefly absent', { remotePath: target });
    await session.remove(target);
    await session.rename(temp, target);
    return true;
  }
  try {
    await session.rename(temp, target);
    return true;
  } catch (error) {
    if (!session.connectionLost && (await session.size(target)) !== null) {
      await discard();
      return false;
    }
    throw error;
  }
}
