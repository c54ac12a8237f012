import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log.js';

function capture(level: string) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ stream, tty: false, level }), lines };
}

/** A field whose nested value counts how often it is read: redaction reads it, winston's own copying does not. */
function probe() {
  const seen = { reads: 0 };
  return { seen, fields: { nested: { get value() {
    seen.reads++;
    return 'v';
  } } } };
}

describe('log level', () => {
  it('an entry below the level is neither written nor formatted (no redaction, no JSON)', () => {
    const { logger, lines } = capture('warn');
    const p = probe();
    logger.child({ company: 'acme' }).info('below the level', p.fields);
    expect(lines).toEqual([]);
    expect(p.seen.reads).toBe(0);
  });

  it('an entry at the level is formatted and written; a level changed later applies at once', () => {
    const { logger, lines } = capture('warn');
    const p = probe();
    logger.child({ company: 'acme' }).warn('at the level', p.fields);
    expect(p.seen.reads).toBeGreaterThan(0);
    logger.level = 'info';
    logger.info('now at the level');
    expect(lines.map((l) => JSON.parse(l) as { message: string; company?: string })).toMatchObject([{ message: 'at the level', company: 'acme' }, { message: 'now at the level' }]);
  });
});
