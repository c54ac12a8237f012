import { describe, expect, it } from 'vitest';
import { forEachLimited } from '../../src/pipeline/limit.js';

describe('forEachLimited', () => {
  it('runs every item once, never more than the limit at a time', async () => {
    let running = 0;
    let peak = 0;
    const seen: number[] = [];
    const gates: Array<() => void> = [];
    const work = forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => gates.push(r));
      seen.push(n);
      running--;
    });
    // Release the jobs one by one as they arrive, so each lane takes the next item.
    while (seen.length < 7) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    await work;
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(peak).toBe(3);
  });

  it('rejects with a failure', async () => {
    await expect(forEachLimited([1, 2], 2, async (n) => (n === 2 ? Promise.reject(new Error('two')) : undefined))).rejects.toThrow('two');
  });
});
