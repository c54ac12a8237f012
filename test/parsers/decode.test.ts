import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { decodeLines } from '../../parsers/decode.js';
import { numberedLines } from '../../parsers/lines.js';
import { chunks, collect, parseErrorOf } from './helpers.js';

const text = async (data: Buffer, encoding: 'utf-8' | 'windows-1252' | 'auto', size?: number): Promise<string> =>
  (await collect(decodeLines(chunks(data, size), { encoding, file: 'f.csv' }))).join('');

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const sample = 'Zoë;Müller;“quoted”\r\nJosé;Øst;12,50\r\n';

describe('decoding', () => {
  it.each([1, 2, 3, 7, 1024])('UTF-8 with and without BOM, in %i-byte chunks', async (size) => {
    const utf8 = Buffer.from(sample, 'utf8');
    for (const enc of ['utf-8', 'auto'] as const) {
      expect(await text(utf8, enc, size)).toBe(sample);
      expect(await text(Buffer.concat([BOM, utf8]), enc, size)).toBe(sample);
    }
  });

  it('Windows-1252 explicit and detected (curly quotes 0x93/0x94, accents)', async () => {
    const cp = iconv.encode(sample, 'windows-1252');
    expect(cp.includes(0x93)).toBe(true);
    expect(await text(cp, 'windows-1252')).toBe(sample);
    expect(await text(cp, 'auto', 5)).toBe(sample);
  });

  it('auto decides per line: a UTF-8 line and a Windows-1252 line in one file both come out right', async () => {
    const mixed = Buffer.concat([Buffer.from('Zoë\n', 'utf8'), iconv.encode('Zoë\n', 'windows-1252')]);
    expect(await text(mixed, 'auto')).toBe('Zoë\nZoë\n');
  });

  it('explicit UTF-8 refuses invalid bytes, naming the line', async () => {
    const bad = Buffer.concat([Buffer.from('ok\nok\r\n', 'utf8'), iconv.encode('Zoë\n', 'windows-1252')]);
    const err = await parseErrorOf(decodeLines(chunks(bad), { encoding: 'utf-8', file: 'f.csv' }));
    expect(err).toMatchObject({ code: 'encoding', file: 'f.csv', line: 3 });
  });

  it('refuses UTF-16 and over-long lines with typed errors', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n', 'utf16le')]);
    expect(await parseErrorOf(decodeLines(chunks(utf16), { encoding: 'auto', file: 'f' }))).toMatchObject({ code: 'encoding' });
    const long = Buffer.from('short\n' + 'x'.repeat(5000), 'utf8');
    const err = await parseErrorOf(decodeLines(chunks(long, 100), { encoding: 'auto', file: 'f', maxLineBytes: 1000 }));
    expect(err).toMatchObject({ code: 'line-too-long', line: 2 });
  });
});

describe('line splitting', () => {
  it('counts LF, CRLF and bare CR as one line each, across chunk boundaries', async () => {
    const data = Buffer.from('a\r\nb\rc\n\nd\r\n', 'utf8');
    for (const size of [1, 2, 3, 100]) {
      const batches = await collect(numberedLines(decodeLines(chunks(data, size), { encoding: 'auto', file: 'f' })));
      expect(batches.flat()).toEqual([
        { line: 1, text: 'a' },
        { line: 2, text: 'b' },
        { line: 3, text: 'c' },
        { line: 4, text: '' },
        { line: 5, text: 'd' },
      ]);
    }
  });

  it('keeps a last line without a line break', async () => {
    const batches = await collect(numberedLines(decodeLines(chunks('x\ny'), { encoding: 'auto', file: 'f' })));
    expect(batches.flat().map((l) => l.text)).toEqual(['x', 'y']);
  });
});
