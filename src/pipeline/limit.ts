// Bounded concurrency for a list of jobs: at most `limit` run at once, each lane taking the next item.

/** Runs `fn` on every item, at most `limit` at a time; rejects with the first failure (others still finish theirs). */
export async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
}
