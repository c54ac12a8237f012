// Bytes to text, one line-aligned chunk at a time: UTF-8, Windows-1252, or detected per line.
import { isAscii, isUtf8 } from 'node:buffer';
import iconv from 'iconv-lite';
import { ParseError } from './errors.js';
import { DEFAULT_PARSE_LIMITS } from './limits.js';

export type TextEncoding = 'utf-8' | 'windows-1252' | 'auto';

export interface DecodeOptions {
  encoding: TextEncoding;
  file: string;
  /** A line longer than this is refused, so memory stays bounded whatever the input (default parseLimits.maxLineBytes). */
  maxLineBytes?: number;
}

const LF = 0x0a;
const CR = 0x0d;
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function tryUtf8(bytes: Buffer): string | null {
  if (isAscii(bytes)) return bytes.toString('latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : null;
}

/** Index just after the last line break, keeping a trailing CR back (it may start a CRLF). */
function cutPoint(buf: Buffer): number {
  const end = buf[buf.length - 1] === CR ? buf.length - 1 : buf.length;
  const lf = buf.lastIndexOf(LF, end - 1);
  const cr = buf.lastIndexOf(CR, end - 1);
  return Math.max(lf, cr) + 1;
}

/** Physical line breaks in a segment: LF, CRLF and bare CR each count once. */
function countBreaks(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(LF); i !== -1; i = buf.indexOf(LF, i + 1)) n++;
  for (let i = buf.indexOf(CR); i !== -1; i = buf.indexOf(CR, i + 1)) if (buf[i + 1] !== LF) n++;
  return n;
}

/** Splits a segment after each line break (so bytes of one line stay together). */
function* lineSlices(buf: Buffer): Generator<Buffer> {
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    const b = buf[i];
    if (b === LF || (b === CR && buf[i + 1] !== LF)) {
      yield buf.subarray(start, i + 1);
      start = i + 1;
    }
  }
  if (start < buf.length) yield buf.subarray(start);
}

/**
 * Decodes a byte stream into text chunks that each end on a line break (except possibly the last).
 * `auto`: a UTF-8 BOM means UTF-8; otherwise each line is UTF-8 when it is valid UTF-8, else Windows-1252
 * (real exports mix clean ASCII with the odd curly quote, and never declare their encoding).
 * `utf8Bytes`: a chunk that is valid UTF-8 comes as its bytes, checked but not decoded, for a consumer that decodes
 * UTF-8 itself (csv-parse: our text would go back into a Buffer for it; BENCHMARKS.md).
 */
export function decodeLines(source: AsyncIterable<Buffer | string>, opts: DecodeOptions & { utf8Bytes: true }): AsyncGenerator<string | Buffer>;
export function decodeLines(source: AsyncIterable<Buffer | string>, opts: DecodeOptions): AsyncGenerator<string>;
export async function* decodeLines(source: AsyncIterable<Buffer | string>, opts: DecodeOptions & { utf8Bytes?: boolean }): AsyncGenerator<string | Buffer> {
  const maxLine = opts.maxLineBytes ?? DEFAULT_PARSE_LIMITS.maxLineBytes;
  let mode: 'utf-8' | 'windows-1252' | 'auto' = opts.encoding;
  let pending: Buffer = Buffer.alloc(0);
  let linesBefore = 0;
  let first = true;

  const decode = (seg: Buffer): string | Buffer => {
    if (mode === 'windows-1252') return iconv.decode(seg, 'windows-1252');
    if (opts.utf8Bytes && (isAscii(seg) || isUtf8(seg))) return seg;
    const whole = tryUtf8(seg);
    if (whole !== null) return whole;
    let out = '';
    let line = linesBefore;
    for (const slice of lineSlices(seg)) {
      line++;
      const text = tryUtf8(slice);
      if (text !== null) out += text;
      else if (mode === 'auto') out += iconv.decode(slice, 'windows-1252');
      else throw new ParseError('encoding', 'bytes are not valid UTF-8', { file: opts.file, line });
    }
    return out;
  };

  for await (const chunk of source) {
    let buf: Buffer = pending.length ? Buffer.concat([pending, Buffer.from(chunk)]) : Buffer.from(chunk);
    if (first && buf.length > 0) {
      if (buf.length < 3 && UTF8_BOM.subarray(0, buf.length).equals(buf)) {
        pending = buf; // a BOM split across chunks
        continue;
      }
      first = false;
      if ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff)) {
        throw new ParseError('encoding', 'UTF-16 files are not supported (expected UTF-8 or Windows-1252)', { file: opts.file, line: 1 });
      }
      if (buf.subarray(0, 3).equals(UTF8_BOM) && mode !== 'windows-1252') {
        buf = buf.subarray(3);
        mode = 'utf-8';
      }
    }
    const cut = cutPoint(buf);
    pending = buf.subarray(cut);
    if (pending.length > maxLine) {
      throw new ParseError('line-too-long', `line longer than ${maxLine} bytes (parseLimits.maxLineBytes)`, { file: opts.file, line: linesBefore + countBreaks(buf.subarray(0, cut)) + 1 });
    }
    if (cut === 0) continue;
    const seg = buf.subarray(0, cut);
    const text = decode(seg);
    linesBefore += countBreaks(seg);
    yield text;
  }
  if (pending.length) {
    if (first && pending.subarray(0, 3).equals(UTF8_BOM.subarray(0, pending.length)) && mode !== 'windows-1252') return;
    yield decode(pending);
  }
}
