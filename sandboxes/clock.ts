import { createHash } from 'node:crypto';

// The sandbox's sense of time: real, or a manual clock tests move forward (asynchronous closes, token expiry, demo batches).

export interface SandboxClock {
  now(): number;
}

export interface ManualClock extends SandboxClock {
  advance(ms: number): void;
  set(epochMs: number): void;
}

export const systemClock: SandboxClock = { now: () => Date.now() };

export function manualClock(startMs = Date.UTC(2025, 0, 15, 8, 0, 0)): ManualClock {
  let t = startMs;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

/** A seeded generator in [0, 1): fault injection repeats run after run (sha256 of seed and counter). */
export function seededRandom(seed: number): () => number {
  let n = 0;
  return () => createHash('sha256').update(`${seed}:${n++}`).digest().readUInt32BE(0) / 2 ** 32;
}
