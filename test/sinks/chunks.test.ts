import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferChunks, fileChunks, type Chunk, type Chunks } from '../../sinks/sftp/chunks.js';
import { tempDir } from './fixtures.js';

/** Whether `promise` settles before the already queued callbacks have run (a pending one does not). */
async function settlesNow(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

async function drain(chunks: Chunks): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const chunk = await chunks.next();
    parts.push(Buffer.from(chunk.bytes));
    chunk.release();
    if (chunk.bytes.length === 0) return Buffer.concat(parts);
  }
}

describe('upload chunks', () => {
  const content = randomBytes(10_000);
  const file = join(tempDir('chunks'), 'source.bin');
  writeFileSync(file, content);
  const readError = (error: unknown) => new Error(`read failed: ${(error as Error).message}`);

  it('hands out a file in order, in chunks of the given size, ending with an empty one', async () => {
    const fh = await open(file, 'r');
    try {
      const chunks = fileChunks(fh, 4096, 2, readError);
      const sizes: number[] = [];
      const parts: Buffer[] = [];
      for (;;) {
        const chunk = await chunks.next();
        sizes.push(chunk.bytes.length);
        parts.push(Buffer.from(chunk.bytes));
        chunk.release();
        if (chunk.bytes.length === 0) break;
      }
      expect(sizes).toEqual([4096, 4096, 1808, 0]);
      expect(Buffer.concat(parts).equals(content)).toBe(true);
    } finally {
      await fh.close();
    }
  });

  it('reads into no more buffers than slots, reusing a buffer only once its chunk is released', async () => {
    const fh = await open(file, 'r');
    try {
      const chunks = fileChunks(fh, 1000, 2, readError);
      const first = await chunks.next();
      const second = await chunks.next();
      expect(first.bytes.buffer).not.toBe(second.bytes.buffer);
      const firstBytes = Buffer.from(first.bytes);
      const third = chunks.next(); // both slots out: waits for a release, then reads into the released buffer
      second.release();
      const reused = await third;
      expect(reused.bytes.buffer).toBe(second.bytes.buffer);
      expect(Buffer.from(reused.bytes).equals(content.subarray(2000, 3000))).toBe(true);
      expect(first.bytes.equals(firstBytes)).toBe(true); // an unreleased chunk is never read into
    } finally {
      await fh.close();
    }
  });

  it('settles once every chunk handed out is released; a second release of a chunk frees nothing more', async () => {
    const chunks = bufferChunks(content, 3000, 4);
    const out: Chunk[] = [await chunks.next(), await chunks.next()];
    const settled = chunks.settled();
    out[0]!.release();
    out[0]!.release();
    expect(await settlesNow(settled)).toBe(false);
    out[1]!.release();
    expect(await settlesNow(settled)).toBe(true);
  });

  it('hands out a buffer in slices without copying, bounded by its slots like a file', async () => {
    const chunks = bufferChunks(content, 3000, 1);
    const first = await chunks.next();
    expect(first.bytes.buffer).toBe(content.buffer);
    expect(await settlesNow(chunks.next().then((c) => c.release()))).toBe(false);
    first.release();
    expect((await drain(bufferChunks(content, 3000, 1))).equals(content)).toBe(true);
  });

  it('turns a failed read into the given error and frees its slot', async () => {
    const fh = await open(file, 'r');
    await fh.close(); // reads now fail (EBADF)
    const chunks = fileChunks(fh, 1000, 1, readError);
    await expect(chunks.next()).rejects.toThrow(/^read failed: /);
    expect(await settlesNow(chunks.settled())).toBe(true);
  });
});
