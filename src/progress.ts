// Progress lines for long transfers and loads: at most one every `everyMs`, so big files say where they are.
import type { Logger } from './log.js';

export function progressReporter(logger: Logger, message: string, unit: 'bytes' | 'rows', opts: { everyMs?: number; total?: number; now?: () => number } = {}): (done: number) => void {
  const now = opts.now ?? Date.now;
  const everyMs = opts.everyMs ?? 10_000;
  let last = now();
  return (done) => {
    const t = now();
    if (t - last < everyMs) return;
    last = t;
    logger.info(message, { [unit]: done, ...(opts.total ? { of: opts.total } : {}) });
  };
}
