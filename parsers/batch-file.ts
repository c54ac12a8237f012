// One fetched batch file as parts (the file itself, or each ZIP entry), each parsed by its detected kind.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Transaction } from '../src/model/transaction.js';
import { log } from '../src/log.js';
import { parseCsv } from './csv.js';
import { QUICKBOOKS_GL_CSV_PROFILE, type CsvProfile } from './csv-profile.js';
import { DETECT_HEAD_BYTES, detectKind, type DetectedKind } from './detect.js';
import { ParseError, asParseError } from './errors.js';
import { parseIif } from './iif.js';
import { parseSae } from './sae.js';
import { newTally, type FileTally } from './tally.js';
import type { ParseContext } from './types.js';
import { DEFAULT_ZIP_LIMITS, openZip, type ZipLimits } from './zip.js';

export interface BatchFileOptions {
  /** Name the file was delivered under (defaults to the path's base name). */
  fileName?: string;
  /** sha256 of the file when the caller already has it (saves one read of the file). */
  sha256?: string;
  /** Profile for a top-level CSV; without it a CSV file is an error. */
  csvProfile?: CsvProfile;
  /** Profile for CSV entries of a ZIP bundle (default: the built-in QuickBooks GL profile). */
  zipCsvProfile?: CsvProfile;
  zipLimits?: ZipLimits;
  /** The batch's currency, for rows whose file states none (IIF). */
  defaultCurrency?: string | null;
}

export type PartKind = Exclude<DetectedKind, 'zip'>;

export interface BatchFilePart {
  /** File name, or the ZIP entry name. */
  name: string;
  /** The ZIP the part came from, if any. */
  container: string | null;
  kind: PartKind;
  sha256: string;
  bytes: number;
  /** Filled while rows() is consumed: row count, totals per currency, header totals, IIF lists. */
  tally: FileTally;
  /** Normalized transactions, streamed; call once. Unknown parts yield nothing. */
  rows(): AsyncGenerator<Transaction>;
  /** The part's bytes (to deliver it as is). */
  open(): AsyncIterable<Buffer>;
}

interface Scan {
  sha256: string;
  bytes: number;
  head: Buffer;
}

/** One pass over the bytes: hash, size and the head for detection. */
async function scan(source: AsyncIterable<Buffer>): Promise<Scan> {
  const hash = createHash('sha256');
  const heads: Buffer[] = [];
  let headBytes = 0;
  let bytes = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    bytes += chunk.length;
    if (headBytes < DETECT_HEAD_BYTES) {
      heads.push(chunk.subarray(0, DETECT_HEAD_BYTES - headBytes));
      headBytes += Math.min(chunk.length, DETECT_HEAD_BYTES - headBytes);
    }
  }
  return { sha256: hash.digest('hex'), bytes, head: Buffer.concat(heads) };
}

async function readHead(path: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of createReadStream(path, { start: 0, end: DETECT_HEAD_BYTES - 1 })) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

function rowsOf(kind: PartKind, open: () => AsyncIterable<Buffer>, ctx: ParseContext, csvProfile: CsvProfile | undefined, tally: FileTally): () => AsyncGenerator<Transaction> {
  return async function* rows() {
    try {
      if (kind === 'sae') yield* parseSae(open(), ctx, tally);
      else if (kind === 'iif') yield* parseIif(open(), ctx, tally);
      else if (kind === 'csv') {
        if (!csvProfile) throw new ParseError('profile', 'a CSV file needs a profile (none chosen for this batch)', { file: ctx.file });
        yield* parseCsv(open(), csvProfile, ctx, tally);
      }
    } catch (err) {
      // Parsers raise ParseError; anything else (I/O) is typed here so callers see one hierarchy.
      throw asParseError(err, 'io', { file: ctx.file });
    }
  };
}

/**
 * Kind of a ZIP entry: as detected, except that a nested ZIP is unknown, and so is text whose first
 * line lacks the CSV profile's delimiter (a README is delivered, not parsed as a ledger).
 */
function entryKindOf(head: Buffer, csvProfile: CsvProfile): PartKind {
  const kind = detectKind(head);
  if (kind === 'zip') return 'unknown';
  if (kind === 'csv' && !(head.toString('latin1').split(/\r\n|\r|\n/, 1)[0] ?? '').includes(csvProfile.delimiter)) return 'unknown';
  return kind;
}

/**
 * Opens a batch file on disk. A ZIP is checked by its central directory first (see openZip), then
 * each entry is scanned (hash, size, kind); entries of unknown kind are kept for delivery, logged,
 * and yield no rows. A nested ZIP counts as unknown.
 */
export async function openBatchFile(path: string, opts: BatchFileOptions = {}): Promise<BatchFilePart[]> {
  const name = opts.fileName ?? basename(path);
  let head: Buffer;
  try {
    head = await readHead(path);
  } catch (err) {
    throw asParseError(err, 'io', { file: name });
  }
  const kind = detectKind(head);
  if (kind !== 'zip') {
    const open = (): AsyncIterable<Buffer> => createReadStream(path) as AsyncIterable<Buffer>;
    const { sha256, bytes } = opts.sha256 ? { sha256: opts.sha256, bytes: (await stat(path)).size } : await scan(open());
    const ctx = { file: name, fileSha256: sha256, defaultCurrency: opts.defaultCurrency ?? null };
    const tally = newTally();
    return [{ name, container: null, kind, sha256, bytes, tally, open, rows: rowsOf(kind, open, ctx, opts.csvProfile, tally) }];
  }

  const entries = await openZip(path, opts.zipLimits ?? DEFAULT_ZIP_LIMITS, name);
  const parts: BatchFilePart[] = [];
  for (const entry of entries) {
    const s = await scan(entry.open());
    const csvProfile = opts.zipCsvProfile ?? QUICKBOOKS_GL_CSV_PROFILE;
    const entryKind = entryKindOf(s.head, csvProfile);
    if (entryKind === 'unknown') log.warn('ZIP entry of unknown kind: delivered, not parsed', { file: name, entry: entry.name, bytes: s.bytes });
    const ctx = { file: entry.name, fileSha256: s.sha256, defaultCurrency: opts.defaultCurrency ?? null };
    const tally = newTally();
    parts.push({
      name: entry.name,
      container: name,
      kind: entryKind,
      sha256: s.sha256,
      bytes: s.bytes,
      tally,
      open: entry.open,
      rows: rowsOf(entryKind, entry.open, ctx, csvProfile, tally),
    });
  }
  return parts;
}
