// ZIP bundles opened by their central directory (unzipper Open.file), behind safety guards.
import unzipper from 'unzipper';
import { z } from 'zod';
import { ParseError, ZipGuardError, asParseError } from './errors.js';

export const ZipLimitsSchema = z
  .object({
    maxEntries: z.number().int().positive().default(64),
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
  let dir: unzipper.CentralDirectory;
  try {
    dir = await unzipper.Open.file(path);
  } catch (err) {
    throw new ParseError('zip-format', `not a readable ZIP: ${err instanceof Error ? err.message : String(err)}`, { file });
  }
  const files = (dir.files as CdFile[]).filter((f) => f.type === 'File');
  if (files.length > limits.maxEntries) throw guard('zip-entries', `${files.length} entries, more than the limit of ${limits.maxEntries}`, file);
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
    throw guard('zip-size', `entries total ${total} uncompressed bytes, more than the limit of ${limits.maxTotalUncompressedBytes}`, file);
  }
  return files.map((f) => ({
    name: f.path,
    compressedSize: f.compressedSize,
    uncompressedSize: f.uncompressedSize,
    open: () => entryBytes(f, file),
  }));
}
