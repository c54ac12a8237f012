// One fetched batch file as parts (the file itself, or each ZIP entry), each parsed by its detected kind.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Transaction } from '../src/model/transaction.js';
import { log } from '../src/log.js';
import { csvHeaderOf, missingColumns, parseCsv } from './csv.js';
import { QUICKBOOKS_GL_CSV_PROFILE, QUICKBOOKS_GL_PROFILE_NAME, type CsvProfile } from './csv-profile.js';
import { DETECT_HEAD_BYTES, detectKind, type DetectedKind } from './detect.js';
import { ParseError, asParseError } from './errors.js';
import { parseIif } from './iif.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
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
  /** The configured profile for a ZIP's CSV entry, by entry name; without one the built-in QuickBooks GL guess is tried. */
  entryCsvProfile?: (entryName: string) => NamedProfile | undefined;
  zipLimits?: ZipLimits;
  /** Bounds on a parser's memory (line, fields, IIF blocks and headers); beyond them a part is refused. */
  parseLimits?: ParseLimits;
  /** The batch's currency, for rows whose file states none (IIF). */
  defaultCurrency?: string | null;
}

export type PartKind = Exclude<DetectedKind, 'zip'>;

export interface NamedProfile {
  name: string;
  profile: CsvProfile;
}

export interface BatchFilePart {
  /** File name, or the ZIP entry name. */
  name: string;
  /** The ZIP the part came from, if any. */
  container: string | null;
  kind: PartKind;
  /** The CSV profile a CSV part is read with. */
  profile: string | null;
  /** Why a part is kept and delivered but not parsed (an unknown kind, a CSV layout no profile recognises). */
  warning: string | null;
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

interface PartParsing {
  ctx: ParseContext;
  csvProfile: CsvProfile | undefined;
  tally: FileTally;
  limits: ParseLimits;
}

function rowsOf(kind: PartKind, open: () => AsyncIterable<Buffer>, { ctx, csvProfile, tally, limits }: PartParsing): () => AsyncGenerator<Transaction> {
  return async function* rows() {
    try {
      if (kind === 'sae') yield* parseSae(open(), ctx, tally, limits);
      else if (kind === 'iif') yield* parseIif(open(), ctx, tally, limits);
      else if (kind === 'csv') {
        if (!csvProfile) throw new ParseError('profile', 'a CSV file needs a profile (none chosen for this batch)', { file: ctx.file });
        yield* parseCsv(open(), csvProfile, ctx, tally, limits);
      }
    } catch (err) {
      // Parsers raise ParseError; anything else (I/O) is typed here so callers see one hierarchy.
      throw asParseError(err, 'io', { file: ctx.file });
    }
  };
}

/**
 * How a ZIP entry is read: by its detected kind, except that a nested ZIP is unknown, and a CSV entry is read only
 * when a profile recognises its header (the configured one, else the built-in QuickBooks GL guess). Anything else is
 * kept and delivered with a warning naming what was missing, never an error: the bundle's IIF decides.
 */
export function entryReading(name: string, head: Buffer, configured: NamedProfile | undefined): { kind: PartKind; profile: NamedProfile | null; warning: string | null } {
  const kind = detectKind(head);
  if (kind === 'zip') return { kind: 'unknown', profile: null, warning: `${name}: a nested ZIP: kept and delivered, not parsed` };
  if (kind === 'unknown') return { kind, profile: null, warning: `${name}: not a batch file (binary): kept and delivered, not parsed` };
  if (kind !== 'csv') return { kind, profile: null, warning: null };
  const candidate = configured ?? { name: QUICKBOOKS_GL_PROFILE_NAME, profile: QUICKBOOKS_GL_CSV_PROFILE };
  const missing = missingColumns(candidate.profile, csvHeaderOf(head, candidate.profile));
  if (missing.length === 0) return { kind, profile: candidate, warning: null };
  const columns = missing.map((c) => JSON.stringify(c)).join(', ');
  return { kind: 'unknown', profile: null, warning: `${name}: CSV layout not recognised by profile ${candidate.name} (no column ${columns}): kept and delivered, not loaded` };
}

/** A ZIP entry as a part: read by what its head shows (see entryReading), its rows parsed from `open`. */
function entryPart(name: string, container: string, head: Buffer, sha256: string, bytes: number, open: () => AsyncIterable<Buffer>, opts: BatchFileOptions): BatchFilePart {
  const reading = entryReading(name, head, opts.entryCsvProfile?.(name));
  if (reading.warning) log.warn('ZIP entry kept and delivered, not parsed', { file: container, entry: name, bytes, reason: reading.warning });
  const ctx = { file: name, fileSha256: sha256, defaultCurrency: opts.defaultCurrency ?? null };
  const tally = newTally();
  const limits = opts.parseLimits ?? DEFAULT_PARSE_LIMITS;
  return { name, container, kind: reading.kind, profile: reading.profile?.name ?? null, warning: reading.warning, sha256, bytes, tally, open, rows: rowsOf(reading.kind, open, { ctx, csvProfile: reading.profile?.profile, tally, limits }) };
}

/**
 * Opens a batch file on disk. A ZIP is checked by its central directory first (see openZip), then
 * each entry is scanned (hash, size, kind); entries of unknown kind are kept for delivery, logged,
 * and yield no rows. A nested ZIP counts as unknown.
 */
export async function openBatchFile(path: string, opts: BatchFileOptions = {}): Promise<BatchFilePart[]> {
  const name = opts.fileName ?? basename(path);
  const limits = opts.parseLimits ?? DEFAULT_PARSE_LIMITS;
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
    return [{ name, container: null, kind, profile: null, warning: null, sha256, bytes, tally, open, rows: rowsOf(kind, open, { ctx, csvProfile: opts.csvProfile, tally, limits }) }];
  }

  const entries = await openZip(path, opts.zipLimits ?? DEFAULT_ZIP_LIMITS, name);
  const parts: BatchFilePart[] = [];
  for (const entry of entries) {
    const s = await scan(entry.open());
    parts.push(entryPart(entry.name, name, s.head, s.sha256, s.bytes, entry.open, opts));
  }
  return parts;
}

/** A ZIP entry already extracted to a file of its own, with the sha256 and size of its bytes. */
export interface ExtractedEntry {
  name: string;
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * The parts of a ZIP (named `container`) whose entries were extracted when it was fetched: the same parts as
 * openBatchFile gives for the ZIP, each read from its own file, so nothing is inflated or hashed again.
 */
export async function openExtractedEntries(entries: readonly ExtractedEntry[], container: string, opts: BatchFileOptions = {}): Promise<BatchFilePart[]> {
  const parts: BatchFilePart[] = [];
  for (const e of entries) {
    let head: Buffer;
    try {
      head = await readHead(e.path);
    } catch (err) {
      throw asParseError(err, 'io', { file: e.name });
    }
    parts.push(entryPart(e.name, container, head, e.sha256, e.bytes, () => createReadStream(e.path) as AsyncIterable<Buffer>, opts));
  }
  return parts;
}

/** How a ZIP entry stored at `path` reads without a configured profile (its kind as the fetch records it). */
export async function extractedEntryKind(name: string, path: string): Promise<PartKind> {
  return entryReading(name, await readHead(path), undefined).kind;
}

/**
 * Which parts' rows are stored. Every parsed part, except in a bundle whose GL CSV a profile recognised: the GL CSV
 * is loaded (it carries the currency and more columns) and the IIF, still parsed in full, is checked against it.
 * Without a recognised GL CSV the IIF, the bundle's one documented format, is loaded.
 */
export function loadedParts(parts: readonly BatchFilePart[]): (part: BatchFilePart) => boolean {
  const glRecognised = parts.some((p) => p.container !== null && p.kind === 'csv');
  return (part) => part.kind !== 'unknown' && !(glRecognised && part.container !== null && part.kind === 'iif');
}
