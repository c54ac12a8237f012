// Every parser's memory is bounded: beyond a limit the input is refused with an error naming the place and
// the setting; real files stay far below the defaults. (The hostile files themselves: hostile.test.ts.)
import { existsSync, readdirSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBatchFile } from '../../parsers/batch-file.js';
import { parseCsv } from '../../parsers/csv.js';
import { CsvProfileSchema } from '../../parsers/csv-profile.js';
import { parseIif, readIif } from '../../parsers/iif.js';
import { DEFAULT_PARSE_LIMITS, ParseLimitsSchema, type ParseLimits } from '../../parsers/limits.js';
import { parseSae } from '../../parsers/sae.js';
import { MAX_KEPT_LIST_BYTES, newTally } from '../../parsers/tally.js';
import { ZipLimitsSchema } from '../../parsers/zip.js';
import { renderBatchFile, zipBuffer } from '../../sandboxes/files/index.js';
import { directoriesZip } from '../support/hostile-files.js';
import { chunks, collect, ctx, parseErrorOf } from './helpers.js';

const limits = (l: Partial<ParseLimits>): ParseLimits => ParseLimitsSchema.parse(l);
const HEADERS = '!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\n!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\n!ENDTRNS\n';
const TRNS = 'TRNS\tT1\tBILL\t1/1/25\tAP\tAna\t0\tR1\tTrip\n';
const spl = (n: number, extra = ''): string => `SPL\tE${n}\tBILL\t1/1/25\t6100\tAna\t0\tR1\tItem${extra}\n`;
const iifError = (text: string, l: Partial<ParseLimits>) => parseErrorOf(readIif(chunks(text, 100), 'h.iif', limits(l)));

describe('IIF bounds', () => {
  it('refuses a block beyond its rows, bytes or fields, naming the line and the setting', async () => {
    const block = HEADERS + TRNS + Array.from({ length: 10 }, (_, i) => spl(i)).join('') + 'ENDTRNS\n';
    expect(await iifError(block, { maxIifBlockRows: 5 })).toMatchObject({ code: 'too-large', file: 'h.iif', line: 9 });
    expect((await iifError(block, { maxIifBlockRows: 5 })).message).toBe('h.iif:9: transaction block from line 4 has more rows than the limit of 5 (parseLimits.maxIifBlockRows)');
    const lineBytes = spl(0).length - 1;
    expect(await iifError(block, { maxIifBlockBytes: TRNS.length - 1 + 3 * lineBytes })).toMatchObject({ line: 8, detail: expect.stringContaining('parseLimits.maxIifBlockBytes') });
    expect(await iifError(block, { maxIifBlockFields: 9 * 3 })).toMatchObject({ line: 7, detail: expect.stringContaining('more fields than the limit of 27 (parseLimits.maxIifBlockFields)') });
    // Within the limits the same block reads whole.
    const ok = await collect(readIif(chunks(block), 'h.iif', limits({ maxIifBlockRows: 11, maxIifBlockFields: 99 })));
    expect(ok.map((i) => (i.type === 'transaction' ? i.block.rows.length : 0))).toEqual([11]);
  });

  it('refuses a line with more fields than allowed, values beyond the declared header included', async () => {
    const wide = HEADERS + TRNS + spl(1, '\tx'.repeat(30)) + 'ENDTRNS\n';
    expect(await iifError(wide, { maxFieldsPerLine: 20 })).toMatchObject({ code: 'too-large', line: 5, detail: 'line has more fields than the limit of 20 (parseLimits.maxFieldsPerLine)' });
    const [item] = (await collect(readIif(chunks(wide), 'h.iif', limits({ maxFieldsPerLine: 39 })))).filter((i) => i.type === 'transaction');
    expect(item?.type === 'transaction' && Object.keys(item.block.rows[1]!.fields)).toHaveLength(8 + 30);
  });

  it('bounds the header rows in number and bytes; a header declared again replaces itself', async () => {
    const distinct = Array.from({ length: 12 }, (_, n) => `!H${n}\tA\tB\n`).join('');
    expect(await iifError(distinct, { maxIifHeaders: 10 })).toMatchObject({ line: 11, detail: 'more distinct header rows than the limit of 10 (parseLimits.maxIifHeaders)' });
    expect(await iifError(distinct, { maxIifHeaderBytes: 40 })).toMatchObject({ line: 6, detail: expect.stringContaining('parseLimits.maxIifHeaderBytes') });
    // Exports that repeat !TRNS/!SPL before each transaction stay within a small budget.
    const repeated = Array.from({ length: 500 }, () => HEADERS + TRNS + spl(1) + 'ENDTRNS\n').join('');
    const rows = await collect(parseIif(chunks(repeated), ctx('r.iif'), newTally(), limits({ maxIifHeaders: 3, maxIifHeaderBytes: HEADERS.length })));
    expect(rows).toHaveLength(500); // one SPL line each
  });

  it('keeps list records up to a byte budget while counting them all', async () => {
    const long = 'x'.repeat(64 * 1024);
    const text = '!CUST\tNAME\tNOTE\n' + Array.from({ length: 100 }, (_, i) => `CUST\tC${String(i).padStart(3, '0')}\t${long}\n`).join('');
    const tally = newTally();
    await collect(parseIif(chunks(text), ctx('l.iif'), tally));
    expect(tally.listCount).toBe(100);
    expect(tally.lists.length).toBe(Math.floor(MAX_KEPT_LIST_BYTES / `CUST\tC000\t${long}`.length));
  });
});

describe('SAE bounds', () => {
  it('stops reading a DETAIL line at the first field beyond the 400 of the layout', async () => {
    const text = 'EXTRACT|2025-03-14|1|1.00|B1\nDETAIL' + '|x'.repeat(100_000) + '\n';
    const err = await parseErrorOf(parseSae(chunks(text), ctx('w.txt'), newTally()));
    expect(err).toMatchObject({ code: 'syntax', file: 'w.txt', line: 2, detail: 'DETAIL line has more than 400 fields, expected 400' });
  });

  it('refuses a line longer than parseLimits.maxLineBytes', async () => {
    const text = renderBatchFile('sae', { batchId: '1', batchName: 'x', closeDate: '2025-03-14', seed: 1, reports: 1, linesPerReport: 1 }).bytes;
    const err = await parseErrorOf(parseSae(chunks(text, 50), ctx('s.txt'), newTally(), limits({ maxLineBytes: 200 })));
    expect(err).toMatchObject({ code: 'line-too-long', line: 2, detail: 'line longer than 200 bytes (parseLimits.maxLineBytes)' });
  });
});

describe('CSV bounds and unclosed quotes', () => {
  const profile = CsvProfileSchema.parse({ delimiter: ',', columns: { amount: 'Amount', description: 'Memo' } });
  const csvError = (text: string, l: Partial<ParseLimits> = {}) => parseErrorOf(parseCsv(chunks(text, 4096), profile, ctx('q.csv'), newTally(), limits(l)));
  const good = (n: number) => Array.from({ length: n }, (_, i) => `${i},row ${i}\n`).join('');

  it('reports an unclosed quote at the line of its record, not where the buffer limit was hit (default limits)', async () => {
    const text = 'Amount,Memo\n1,"a\nb"\n\n2,ok\n3,"never closed\n' + good(400_000); // > 4 MiB after the quote
    expect(text.length).toBeGreaterThan(DEFAULT_PARSE_LIMITS.maxLineBytes);
    const err = await csvError(text);
    expect(err).toMatchObject({ code: 'syntax', file: 'q.csv', line: 6, field: 'Memo' });
    expect(err.message).toMatch(/^q\.csv:6: Memo: quote not closed: .* still open at line \d+, past 4194304 bytes \(parseLimits\.maxLineBytes\)$/);
  });

  it('reports an unclosed quote that runs to the end of the file at its own line', async () => {
    const err = await csvError('Amount,Memo\n1,x\n\n\n2,"multi\nline"\n3,"unclosed\n' + good(20));
    expect(err).toMatchObject({ line: 7, field: 'Memo' });
    expect(err.detail).toContain('runs to the end of the file');
  });

  it('refuses a record with more fields than parseLimits.maxFieldsPerLine', async () => {
    expect(await csvError('Amount,Memo\n1,x\n2' + ',y'.repeat(50) + '\n', { maxFieldsPerLine: 40 })).toMatchObject({
      code: 'too-large', line: 3, detail: 'record has more fields than the limit of 40 (parseLimits.maxFieldsPerLine)',
    });
  });
});

describe('ZIP central directory bounds', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'limits-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const saved = async (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };
  const rejection = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => e);

  it('counts directory entries and refuses before reading the directory (default limits)', async () => {
    const err = await rejection(openBatchFile(await saved('dirs.zip', directoriesZip(65))));
    expect(err).toMatchObject({ code: 'zip-entries', file: 'dirs.zip', detail: '65 entries, more than the limit of 64 (zipLimits.maxEntries)' });
  });

  it('reads the count of a ZIP64 directory', async () => {
    const err = await rejection(openBatchFile(await saved('zip64.zip', directoriesZip(70_000))));
    expect(err).toMatchObject({ code: 'zip-entries', detail: expect.stringMatching(/^70000 entries/) });
  });

  it('refuses a central directory beyond zipLimits.maxCentralDirectoryBytes', async () => {
    const path = await saved('names.zip', zipBuffer([{ name: `${'n'.repeat(2000)}.csv`, data: Buffer.from('a\n') }]));
    const err = await rejection(openBatchFile(path, { zipLimits: ZipLimitsSchema.parse({ maxCentralDirectoryBytes: 1000 }) }));
    expect(err).toMatchObject({ code: 'zip-entries', detail: expect.stringContaining('(zipLimits.maxCentralDirectoryBytes)') });
  });
});

const FIXTURES = ['../shared/external/iif-fixtures', '/work/shared/external/iif-fixtures'].find((d) => existsSync(d));

describe.skipIf(!FIXTURES)('the default limits against real files', () => {
  it('leave the real IIF files ten times below every IIF bound', async () => {
    const tenth = limits(Object.fromEntries(Object.entries(DEFAULT_PARSE_LIMITS).map(([k, v]) => [k, Math.floor(v / 10)])));
    const names = readdirSync(FIXTURES!).filter((f) => f.endsWith('.iif'));
    expect(names.length).toBeGreaterThanOrEqual(22);
    for (const name of names) await collect(readIif(createReadStream(join(FIXTURES!, name)) as AsyncIterable<Buffer>, name, tenth));
  });
});
