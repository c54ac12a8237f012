// What an upload sends, chunk by chunk, with at most `slots` chunks out (sent, not yet acknowledged) at once. A file
// is read into a few buffers reused once their write is acknowledged: a fresh buffer a read made V8 collect its old
// generation twice as often (22 mark-compacts for a 256 MB upload instead of 9, ~0.2 s of CPU; BENCHMARKS.md).
import type { FileHandle } from 'node:fs/promises';

export interface Chunk {
  /** Empty at the end of the source. */
  readonly bytes: Buffer;
  /** Its write is acknowledged or failed: the buffer may be read into again. Idempotent. */
  release(): void;
}

export interface Chunks {
  /** The next chunk; waits while `slots` chunks are out. */
  next(): Promise<Chunk>;
  /** Resolves once every chunk handed out is released. */
  settled(): Promise<void>;
}

/** Counts the chunks out; `take` waits for a free slot. */
class Slots {
  private out = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly count: number) {}

  async take(): Promise<void> {
    while (this.out >= this.count) await this.changed();
    this.out++;
  }

  give(): void {
    this.out--;
    for (const wake of this.waiting.splice(0)) wake();
  }

  async settled(): Promise<void> {
    while (this.out > 0) await this.changed();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }
}

function chunkOf(bytes: Buffer, onRelease: () => void): Chunk {
  let released = false;
  return {
    bytes,
    release: () => {
      if (released) return;
      released = true;
      onRelease();
    },
  };
}

/** `file` read from its start in chunks of `size` bytes into at most `slots` buffers; a failed read throws `readError(error)`. */
export function fileChunks(file: FileHandle, size: number, slots: number, readError: (error: unknown) => Error): Chunks {
  const gate = new Slots(slots);
  const free: Buffer[] = [];
  let position = 0;
  return {
    next: async () => {
      await gate.take();
      const buffer = free.pop() ?? Buffer.allocUnsafeSlow(size); // its own memory, never a slice of the shared pool
      const giveBack = () => {
        free.push(buffer);
        gate.give();
      };
      let bytesRead: number;
      try {
        ({ bytesRead } = await file.read(buffer, 0, size, position));
      } catch (error) {
        giveBack();
        throw readError(error);
      }
      position += bytesRead;
      return chunkOf(buffer.subarray(0, bytesRead), giveBack);
    },
    settled: () => gate.settled(),
  };
}

/** `source` in slices of `size` bytes (no copy), at most `slots` out at once. */
export function bufferChunks(source: Buffer, size: number, slots: number): Chunks {
  const gate = new Slots(slots);
  let position = 0;
  return {
    next: async () => {
      await gate.take();
      const bytes = source.subarray(position, position + size);
      position += bytes.length;
      return chunkOf(bytes, () => gate.give());
    },
    settled: () => gate.settled(),
  };
}
