import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger, registerSecret } from '../../src/log.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { logger: createLogger({ stream, tty: false, level: 'debug' }), text: () => lines.join('') };
}

describe('log redaction', () => {
  it('masks secret-named fields at any depth', () => {
    const { logger, text } = capture();
    logger.info('connecting', { company: 'acme', password: 'hunter22', nested: { clientSecret: 'cs-123456', list: [{ refresh_token: 'rt-abcdef' }] } });
    const out = text();
    expect(out).toContain('acme');
    for (const s of ['hunter22', 'cs-123456', 'rt-abcdef']) expect(out).not.toContain(s);
    expect(out).toContain('[REDACTED]');
  });

  it('masks bearer tokens, PEM keys and registered secrets inside free text and errors', () => {
    const { logger, text } = capture();
    registerSecret('registered-secret-value');
    const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAAB3NzaC1yc2E\n-----END OPENSSH PRIVATE KEY-----';
    logger.warn('request failed: Authorization: Bearer eyJhbGciOi.payload.sig', { body: `key ${pem}` });
    logger.error('boom', { error: new Error('upstream said registered-secret-value is bad') });
    const out = text();
    for (const s of ['eyJhbGciOi', 'AAAAB3NzaC1yc2E', 'registered-secret-value']) expect(out).not.toContain(s);
    expect(out).toContain('Bearer [REDACTED]');
  });

  it('writes one JSON object per line when not on a terminal', () => {
    const { logger, text } = capture();
    logger.info('hello', { company: 'acme', batch: 'b1', step: 'fetch' });
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', message: 'hello', company: 'acme', batch: 'b1', step: 'fetch' });
  });
});
