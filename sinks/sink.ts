// The contract every delivery (SFTP, Xero, QI Tech) implements. No database here: the pipeline records the
// per-file results this returns and decides about retries from the error types.
import type { Reconciliation } from '../src/model/reconciliation.js';
import type { StoredJournal } from './journal/lines.js';

/** A local file to deliver, as the pipeline already knows it (hash and size computed on download/extract). */
export interface LocalFile {
  /** File name as delivered by Concur, or the ZIP entry name. */
  name: string;
  /** Absolute or working-directory-relative local path. */
  path: string;
  /** sha256 of the bytes, lowercase hex. */
  sha256: string;
  size: number;
}

/** A plain description of one closed batch to deliver. */
export interface BatchToDeliver {
  company: string;
  /** Concur's BatchID: what people know the batch by, in file names, manifests, references and logs. */
  concurBatchId: string;
  /** Our row id (batches.id, a bigserial as text): the key of what a sink stores about the batch. */
  batchRowId: string;
  batchName: string;
  closeDate: Date;
  /** The batch file as downloaded (a ZIP or a plain extract). */
  original: LocalFile;
  /** Entries extracted from the ZIP; empty when the batch file is not a ZIP. */
  entries: LocalFile[];
  rows: number;
  /** Currency code ('' when unknown) to exact decimal text. */
  totals: Record<string, string>;
  /** As stored with the batch; null when the batch was never reconciled. */
  reconciliation: Reconciliation | null;
  /** Reads the batch's stored transactions (for the normalized journal files); absent where no database is at hand. */
  journal?: () => Promise<StoredJournal>;
}

/** normalized: a journal file built from the stored transactions. */
export type FileKind = 'original' | 'entry' | 'normalized' | 'manifest' | 'trigger';

/** delivered: written now. already-present: identical bytes were there. conflict-suffixed: other bytes held the name, ours went under a suffixed one. */
export type DeliveredOutcome = 'delivered' | 'already-present' | 'conflict-suffixed';

interface FileResultBase {
  kind: FileKind;
  /** Local name (entry or file name; the manifest and trigger names). */
  name: string;
  /** Remote path the file was meant for, or finally has (suffixed for conflict-suffixed). */
  remotePath: string;
  sha256: string;
  size: number;
}

export type FileResult =
  | (FileResultBase & { outcome: DeliveredOutcome })
  | (FileResultBase & { outcome: 'failed'; error: SinkError })
  /** Not tried because an earlier file of the batch failed (the manifest and trigger come last on purpose). */
  | (FileResultBase & { outcome: 'not-attempted' });

export interface DeliveryReport {
  sink: string;
  /** True when every file is delivered or already present; a retry of an ok batch changes nothing. */
  ok: boolean;
  files: FileResult[];
  /** The first error when not ok (per-file errors are on the files too). */
  error?: SinkError;
}

export interface Sink {
  readonly name: string;
  /** Delivers a batch idempotently; never throws for delivery failures, reports them. Safe to call again. */
  deliver(batch: BatchToDeliver): Promise<DeliveryReport>;
}

export type SinkErrorCode =
  | 'config' // our configuration is unusable (key file unreadable, bad template)
  | 'local-file' // the local file is missing or differs from its stated hash/size
  | 'host-key' // the server's host key is not the trusted one
  | 'auth' // the server refused our credentials
  | 'connect' // could not reach the server or the handshake failed
  | 'connection-lost' // the connection dropped mid-delivery
  | 'timeout'
  | 'permission-denied'
  | 'no-space'
  | 'remote-failure' // any other failure the server reported
  | 'verify-failed' // the remote size/hash differs after upload
  | 'conflict'; // another file holds the name and the policy is `fail`

/** Codes that may succeed on a later attempt without anyone changing anything. */
const RETRYABLE: ReadonlySet<SinkErrorCode> = new Set<SinkErrorCode>([
  'connect',
  'connection-lost',
  'timeout',
  'permission-denied', // an operator fixes the drop; delivery resumes on its own
  'no-space',
  'remote-failure',
  'verify-failed',
]);

/** A delivery failure. `retryable` tells the pipeline whether to schedule another attempt with back-off. */
export class SinkError extends Error {
  override readonly name = 'SinkError';
  readonly retryable: boolean;

  constructor(
    readonly code: SinkErrorCode,
    message: string,
    readonly remotePath?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retryable = RETRYABLE.has(code);
  }
}
