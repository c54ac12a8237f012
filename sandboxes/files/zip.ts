// A minimal ZIP writer (store or deflate; ZIP64 end records for 65,535 entries or more): enough for test bundles and the sandbox.
import { createDeflateRaw, crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntryInput {
  name: string;
  data: Buffer;
  method?: 'store' | 'deflate';
}

/** An entry deflated beforehand (see deflatedEntry): its compressed body, CRC-32 and uncompressed size. */
export interface DeflatedEntry {
  name: string;
  deflated: { body: Buffer; crc: number; size: number };
}

/** Deflates an entry from a stream of chunks, so its uncompressed bytes never need to be in memory at once. */
export async function deflatedEntry(name: string, chunks: Iterable<Buffer | string>): Promise<DeflatedEntry> {
  const deflate = createDeflateRaw();
  const out: Buffer[] = [];
  deflate.on('data', (c: Buffer) => out.push(c));
  const ended = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject));
  let crc = 0;
  let size = 0;
  for (const chunk of chunks) {
    const buf = Buffer.from(chunk);
    crc = crc32(buf, crc);
    size += buf.length;
    if (!deflate.write(buf)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await ended;
  return { name, deflated: { body: Buffer.concat(out), crc, size } };
}

// 1980-01-01 00:00, the DOS epoch: fixed so the same input always gives the same bytes.
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

function packed(e: ZipEntryInput | DeflatedEntry): { method: number; body: Buffer; crc: number; size: number } {
  if ('deflated' in e) return { method: 8, ...e.deflated };
  const method = e.method === 'store' ? 0 : 8;
  return { method, body: method === 8 ? deflateRawSync(e.data) : e.data, crc: crc32(e.data), size: e.data.length };
}

export function zipBuffer(entries: readonly (ZipEntryInput | DeflatedEntry)[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const { method, body, crc, size } = packed(e);
    // The local header and the central directory record share this run of fields, at different offsets.
    const common = (buf: Buffer, at: number): void => {
      buf.writeUInt16LE(0x0800, at); // UTF-8 names
      buf.writeUInt16LE(method, at + 2);
      buf.writeUInt16LE(DOS_TIME, at + 4);
      buf.writeUInt16LE(DOS_DATE, at + 6);
      buf.writeUInt32LE(crc, at + 8);
      buf.writeUInt32LE(body.length, at + 12);
      buf.writeUInt32LE(size, at + 16);
      buf.writeUInt16LE(name.length, at + 20);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    common(local, 6);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    common(central, 8);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  // 0xffff entries or more need the ZIP64 end records; the classic one then says "see ZIP64".
  const zip64 = entries.length >= 0xffff;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 8);
  end.writeUInt16LE(zip64 ? 0xffff : entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, ...(zip64 ? zip64End(entries.length, cd.length, offset) : []), end]);
}

/** The ZIP64 end of central directory record and its locator (the directory starts at `cdOffset`). */
function zip64End(count: number, cdLength: number, cdOffset: number): Buffer[] {
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4); // size of the rest of the record
  record.writeUInt16LE(45, 12);
  record.writeUInt16LE(45, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(cdLength), 40);
  record.writeBigUInt64LE(BigInt(cdOffset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(cdOffset + cdLength), 8);
  locator.writeUInt32LE(1, 16);
  return [record, locator];
}
