// Hostile batch files, generated (never stored): each one is built to make a parser hold too much.
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { deflatedEntry, zipBuffer } from '../../sandboxes/files/index.js';

const IIF_HEADERS = [
  '!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO',
  '!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO',
  '!ENDTRNS',
].join('\r\n');

/** A deterministic pseudo-random sequence (the same file every run). */
function lcg(seed: number): () => number {
  let x = seed >>> 0;
  return () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
}

/**
 * The lines of one IIF transaction block: a TRNS row, then `rows` SPL rows of `fields` fields each (all but
 * the first nine beyond the declared header). Each SPL row holds one repeated memo with `random` fields
 * drawn at random, which sets how well the block compresses.
 */
function* bombBlock(rows: number, fields: number, random: number): Generator<string> {
  const next = lcg(15);
  yield `${IIF_HEADERS}\r\nTRNS\t1\tBILL\t01/15/2025\tAccounts Payable\tAna Lima\t0.00\tR1\tTrip\r\n`;
  for (let r = 0; r < rows; r++) {
    const extra = new Array<string>(fields - 9).fill('memo-000000000000');
    for (let c = 0; c < random; c++) extra[next() % extra.length] = `memo-${String(next()).padStart(12, '0')}`;
    yield `SPL\t${r + 2}\tBILL\t01/15/2025\tTravel\tAna Lima\t0.00\tR1\tTrip\t${extra.join('\t')}\r\n`;
  }
  yield 'ENDTRNS\r\n';
}

/** A QuickBooks ZIP whose IIF is one block of `rows` SPL rows × `fields` fields (the issue-15 bomb: 20,000 × 1,500). */
export async function iifBlockBombZip(rows: number, fields: number): Promise<{ zip: Buffer; uncompressed: number }> {
  const entry = await deflatedEntry('bomb.iif', bombBlock(rows, fields, 12));
  return { zip: zipBuffer([entry]), uncompressed: entry.deflated.size };
}

async function writeLines(path: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(path);
  for (const line of lines) if (!out.write(line)) await once(out, 'drain');
  out.end();
  await once(out, 'finish');
}

/** An IIF file of `count` distinct header rows `!H<n>`, each declaring `columns` columns. */
export async function distinctHeadersIif(path: string, count: number, columns: number): Promise<void> {
  const cols = Array.from({ length: columns }, (_, i) => `COLUMN${i}`).join('\t');
  await writeLines(path, (function* () {
    for (let n = 0; n < count; n++) yield `!H${n}\t${cols}\r\n`;
  })());
}

/** A ZIP of `count` directory entries and no file. */
export function directoriesZip(count: number): Buffer {
  return zipBuffer(Array.from({ length: count }, (_, i) => ({ name: `d${i}/`, data: Buffer.alloc(0), method: 'store' as const })));
}

/** An SAE file whose one DETAIL line has `fields` non-empty fields. */
export async function wideSaeLine(path: string, fields: number): Promise<void> {
  await writeLines(path, (function* () {
    yield 'EXTRACT|2025-03-14|1|10.00|B1\n';
    yield 'DETAIL';
    for (let i = 1; i < fields; i += 10_000) yield '|x'.repeat(Math.min(10_000, fields - i));
    yield '\n';
  })());
}
