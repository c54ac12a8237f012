import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';
import { progressReporter } from '../../src/progress.js';

describe('progress lines', () => {
  it('log at most once per interval on the injected clock, with the amount done and the total', () => {
    const lines: Array<Record<string, unknown>> = [];
    const logger = createLogger({ tty: false, stream: new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c))), cb()) }) });
    let t = 0;
    const report = progressReporter(logger, 'downloading', 'bytes', { everyMs: 10_000, total: 100, now: () => t });
    report(10);
    t = 9_999;
    report(20);
    t = 10_000;
    report(30);
    t = 15_000;
    report(40);
    t = 20_001;
    report(50);
    expect(lines.map((l) => [l.message, l.bytes, l.of])).toEqual([
      ['downloading', 30, 100],
      ['downloading', 50, 100],
    ]);
  });
});
