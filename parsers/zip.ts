// ZIP bundles opened by their central directory (unzipper Open.file), behind safety guards.
import { open, type FileHandle } from 'node:fs/promises';
import type unzipper from 'unzipper';
import { z } from 'zod';
import { ParseError, ZipGuardError, asParseError } from './errors.js';

export const ZipLimitsSchema = z
  .object({
    /** Entries of the central directory, directories included; checked before any is read. */
    maxEntries: z.number().int().positive().default(64),
    /** Bytes of the central directory (names, extra fields, comments of all entries); checked before it is read. */
    maxCentralDirectoryBytes: z.number().int().positive().default(1024 * 1024),
    /** Sum of the declared uncompressed sizes of all entries. */
    maxTotalUncompressedBytes: z.number().int().positive().default(4 * 1024 ** 3),
    /** Uncompressed / compressed size of one entry; above it the entry is a suspected bomb. */
    maxCompressionRatio: z.number().positive().default(200),
    /** Entries smaller than this are not ratio-checked (tiny files compress absurdly well, harmlessly). */
    ratioCheckMinBytes: z.number().int().nonnegative().default(1024 * 1024),
  })
  .strict();
export type ZipLimits = z.output<typeof ZipLimitsSchema>;
export const DEFAULT_ZIP_LIMITS: ZipLimits = ZipLimitsSchema.parse({});

export interface ZipEntry {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  /** The entry's bytes; fails if they outgrow the declared size. Each call reads afresh. */
  open(): AsyncIterable<Buffer>;
}

/** Names that would escape a target directory or mean something else on another OS. */
export function isUnsafeEntryName(name: string): boolean {
  if (name === '' || name.includes('\0')) return true;
  if (/^([/\\]|[A-Za-z]:)/.test(name)) return true;
  return name.split(/[/\\]/).some((seg) => seg === '..');
}

function guard(code: 'zip-slip' | 'zip-entries' | 'zip-size' | 'zip-ratio', detail: string, file: string, field?: string): ZipGuardError {
  return new ZipGuardError(code, detail, { file, field });
}

type CdFile = unzipper.File & { flags?: number; compressionMethod?: number };

const EOCD = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const MAX_COMMENT = 0xffff;

interface Declared {
  entries: number;
  bytes: number;
}

/** One end of central directory record (at `at` in the file): its counts, from the ZIP64 record when they are saturated. */
async function declaredBy(fh: FileHandle, eocd: Buffer, at: number): Promise<Declared> {
  const declared = { entries: eocd.readUInt16LE(10), bytes: eocd.readUInt32LE(12) };
  if (declared.entries !== 0xffff && declared.bytes !== 0xffffffff && eocd.readUInt32LE(16) !== 0xffffffff) return declared;
  const locator = Buffer.alloc(20);
  if (at >= 20) await fh.read(locator, 0, 20, at - 20);
  if (locator.readUInt32LE(0) !== ZIP64_LOCATOR) return declared;
  const offset = locator.readBigUInt64LE(8);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER)) return declared;
  const record = Buffer.alloc(56);
  await fh.read(record, 0, 56, Number(offset));
  // Anything but a ZIP64 record leaves the saturated counts, which the limits refuse.
  if (record.readUInt32LE(0) !== ZIP64_EOCD) return declared;
  return { entries: Number(record.readBigUInt64LE(32)), bytes: Number(record.readBigUInt64LE(40)) };
}

/**
 * What the end of central directory record declares: entry count and directory size. unzipper materializes
 * every declared entry at once, so these are checked before it runs. Every record signature in the tail
 * counts (the largest wins): a forged one in the comment cannot hide the real one.
 */
async function declaredDirectory(path: string): Promise<Declared> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    const tailLength = Math.min(size, EOCD_SIZE + MAX_COMMENT);
    const tail = Buffer.alloc(tailLength);
    await fh.read(tail, 0, tailLength, size - tailLength);
    const most = { entries: 0, bytes: 0 };
    for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
      if (tail.readUInt32LE(i) !== EOCD) continue;
      const d = await declaredBy(fh, tail.subarray(i, i + EOCD_SIZE), size - tailLength + i);
      most.entries = Math.max(most.entries, d.entries);
      most.bytes = Math.max(most.bytes, d.bytes);
    }
    return most;
  } finally {
    await fh.close();
  }
}

async function* entryBytes(f: CdFile, file: string): AsyncGenerator<Buffer> {
  const stream = f.stream();
  let seen = 0;
  let done = false;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      seen += chunk.length;
      if (seen > f.uncompressedSize) {
        throw guard('zip-size', `entry inflates beyond its declared ${f.uncompressedSize} bytes`, file, f.path);
      }
      yield chunk;
    }
    done = true;
  } catch (err) {
    throw asParseError(err, 'zip-format', { file, field: f.path });
  } finally {
    // Drain rather than abandon: unzipper closes the file only once the entry stream has finished.
    if (!done) {
      stream.on('error', () => undefined);
      stream.resume();
    }
  }
}

/**
 * Opens a ZIP on disk by its central directory and checks it before any entry is read: zip-slip names,
 * entry count, total uncompressed size, compression ratio, encryption and unsupported methods.
 * `file` names the ZIP in errors.
 */
export async function openZip(path: string, limits: ZipLimits, file: string): Promise<ZipEntry[]> {
  let declared: Declared;
  try {
    declared = await declaredDirectory(path);
  } catch (err) {
    throw asParseError(err, 'io', { file });
  }
  if (declared.entries > limits.maxEntries) {
    throw guard('zip-entries', `${declared.entries} entries, more than the limit of ${limits.maxEntries} (zipLimits.maxEntries)`, file);
  }
  if (declared.bytes > limits.maxCentralDirectoryBytes) {
    throw guard('zip-entries', `central directory of ${declared.bytes} bytes, more than the limit of ${limits.maxCentralDirectoryBytes} (zipLimits.maxCentralDirectoryBytes)`, file);
  }
  // Imported at the first ZIP: a run without one (an SAE, a CSV) does not load unzipper (~30 ms of start-up).
  const { Open } = (await import('unzipper')).default;
  let dir: unzipper.CentralDirectory;
  try {
    dir = await Open.file(path);
  } catch (err) {
    throw new ParseError('zip-format', `not a readable ZIP: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
  const files = (dir.files as CdFile[]).filter((f) => f.type === 'File');
  let total = 0;
  for (const f of dir.files as CdFile[]) {
    if (isUnsafeEntryName(f.path)) throw guard('zip-slip', `unsafe entry name ${JSON.stringify(f.path)}`, file, f.path);
  }
  for (const f of files) {
    total += f.uncompressedSize;
    const ratio = f.uncompressedSize / Math.max(f.compressedSize, 1);
    if (f.uncompressedSize >= limits.ratioCheckMinBytes && ratio > limits.maxCompressionRatio) {
      throw guard('zip-ratio', `compression ratio ${Math.round(ratio)}:1 exceeds ${limits.maxCompressionRatio}:1 (suspected decompression bomb)`, file, f.path);
    }
    if ((f.flags ?? 0) & 1) throw new ParseError('zip-format', 'encrypted entries are not supported', { file, field: f.path });
    if (f.compressionMethod !== 0 && f.compressionMethod !== 8) {
      throw new ParseError('zip-format', `compression method ${String(f.compressionMethod)} is not supported (stored or deflated only)`, { file, field: f.path });
    }
  }
  if (total > limits.maxTotalUncompressedBytes) {
    throw guard('zip-size', `entries total ${total} uncompressed bytes, more than the limit of ${limits.maxTotalUncompressedBytes} (zipLimits.maxTotalUncompressedBytes)`, file);
  }
  return files.map((f) => ({
    name: f.path,
    compressedSize: f.compressedSize,
    uncompressedSize: f.uncompressedSize,
    open: () => entryBytes(f, file),
  }));
}
