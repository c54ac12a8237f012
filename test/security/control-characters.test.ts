// Item 8 of issue 16: control characters in ZIP entry names, batch names and file names are escaped when the CLI
// prints them and in logs, so a hostile name cannot rewrite the terminal or reorder what an operator reads.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { printable } from '../../src/printable.js';
import { zipBuffer } from '../../sandboxes/files/zip.js';
import { seedBatch, seedCompany } from '../store/fixtures.js';
import { useMigratedDatabase } from '../support/db.js';
import { runCli } from './cli-run.js';

const db = useMigratedDatabase();
const HOSTILE = 'GL\u001b[2J\u001b]0;owned\u0007\rfake\u202etxt.csv';
// eslint-disable-next-line no-control-regex -- asserting no raw control characters reached the output
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/;

describe('printable', () => {
  it('escapes control, bidirectional and zero-width characters, readable and valid inside JSON strings', () => {
    expect(printable(HOSTILE)).toBe('GL\\u001b[2J\\u001b]0;owned\\u0007\\rfake\\u202etxt.csv');
    expect(JSON.parse(`"${printable('a\u0085b\u200bc\u2066')}"`)).toBe('a\u0085b\u200bc\u2066');
    expect(printable('Ada Lovelace, Zürich – 50.00 €')).toBe('Ada Lovelace, Zürich – 50.00 €');
  });
});

describe('logs', () => {
  const logged = (tty: boolean) => {
    let out = '';
    const logger = createLogger({ stream: new Writable({ write: (c, _e, cb) => ((out += String(c)), cb()) }), tty, level: 'info' });
    logger.warn(`zip entry ${HOSTILE} skipped`, { entry: HOSTILE, error: new Error(`cannot read ${HOSTILE}`) });
    return out;
  };

  it('escape them in JSON logs: fields, messages, error messages and stacks', () => {
    const out = logged(false);
    expect(out).not.toMatch(RAW_CONTROL);
    const line = JSON.parse(out) as { message: string; entry: string; error: { message: string; stack: string } };
    expect(line.entry).toBe(printable(HOSTILE));
    expect(line.message).toBe(`zip entry ${printable(HOSTILE)} skipped`);
    expect(line.error.message).toBe(`cannot read ${printable(HOSTILE)}`);
    expect(line.error.stack).toContain(printable(HOSTILE));
  });

  it('escape them in terminal logs (only the level colour is an escape sequence)', () => {
    // eslint-disable-next-line no-control-regex -- winston colorize codes
    const out = logged(true).replace(/\u001b\[\d+m/g, '');
    expect(out).not.toMatch(RAW_CONTROL);
    expect(out).toContain(`entry=${printable(HOSTILE)}`);
  });
});

describe('the CLI', () => {
  it('parse prints a ZIP entry name escaped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'erp-sync-ctl-'));
    const file = join(dir, 'bundle.zip');
    writeFileSync(file, zipBuffer([{ name: HOSTILE, data: Buffer.from('not a batch file\n') }]));
    const r = await runCli(['parse', file], {});
    expect(r.output).toContain('GL\\u001b[2J\\u001b]0;owned\\u0007\\rfake\\u202etxt.csv');
    expect(r.output).not.toMatch(RAW_CONTROL);
  });

  it('status prints a batch name and id from Concur escaped', async () => {
    await seedCompany(db.ds(), 'acme');
    const id = await seedBatch(db.ds(), 'acme', 'B\u001b[31m1', 'done');
    await db.ds().query(`UPDATE batches SET name = $2 WHERE id = $1`, [id, HOSTILE]);
    for (const args of [['status'], ['status', '--json']]) {
      const r = await runCli(args, { DATABASE_URL: db.url() });
      expect(r.code, r.output).toBe(0);
      expect(r.stdout).toContain('B\\u001b[31m1');
      expect(r.stdout).toContain('\\u202etxt.csv');
      expect(r.stdout).not.toMatch(RAW_CONTROL);
    }
  });
});
