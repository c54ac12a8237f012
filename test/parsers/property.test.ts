// Random and mutated input to every parser: it finishes, and fails only with a ParseError.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBatchFile } from '../../parsers/batch-file.js';
import { parseCsv } from '../../parsers/csv.js';
import { ParseError } from '../../parsers/errors.js';
import { parseIif } from '../../parsers/iif.js';
import { parseSae } from '../../parsers/sae.js';
import { newTally } from '../../parsers/tally.js';
import { SANDBOX_CSV_PROFILE, renderBatchFile, zipBuffer } from '../../sandboxes/files/index.js';
import { chunks, ctx } from './helpers.js';

const spec = { batchId: '3', batchName: 'P', closeDate: '2025-02-28', seed: 9, reports: 2, linesPerReport: 2 };
const SPECIAL = [...'|"\t\n\r!,;()-.\\'].map((c) => c.charCodeAt(0)).concat([0x00, 0x93, 0xff, 0xef, 0xbb, 0xbf]);

type Mutation = { at: number; kind: 'flip' | 'delete' | 'insert' | 'truncate'; byte: number; len: number };
const mutation = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('flip', 'delete', 'insert', 'truncate'),
  byte: fc.oneof(fc.constantFrom(...SPECIAL), fc.integer({ min: 0, max: 255 })),
  len: fc.integer({ min: 1, max: 40 }),
}) as fc.Arbitrary<Mutation>;

function mutate(base: Buffer, muts: Mutation[]): Buffer {
  let b = Buffer.from(base);
  for (const m of muts) {
    const at = b.length ? m.at % b.length : 0;
    if (m.kind === 'flip') b[at] = m.byte;
    else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
    else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.alloc(m.len, m.byte), b.subarray(at)]);
    else b = b.subarray(0, at);
  }
  return b;
}

const parsers = {
  sae: (b: Buffer, size: number) => parseSae(chunks(b, size), ctx('p.sae'), newTally()),
  iif: (b: Buffer, size: number) => parseIif(chunks(b, size), ctx('p.iif'), newTally()),
  csv: (b: Buffer, size: number) => parseCsv(chunks(b, size), SANDBOX_CSV_PROFILE, ctx('p.csv'), newTally()),
};

/** Consumes a parse; true when it finished, false when it raised a ParseError; anything else fails. */
async function outcome(it: AsyncIterable<unknown>): Promise<boolean> {
  try {
    for await (const _ of it) {
      // consume
    }
    return true;
  } catch (err) {
    if (err instanceof ParseError && err.message.length > 0) return false;
    throw err;
  }
}

const iifOf = async (): Promise<Buffer> => {
  const zip = renderBatchFile('quickbooks-zip', spec);
  const dir = await mkdtemp(join(tmpdir(), 'prop-iif-'));
  try {
    await writeFile(join(dir, 'z.zip'), zip.bytes);
    const parts = await openBatchFile(join(dir, 'z.zip'));
    const chunksOf: Buffer[] = [];
    for await (const c of parts[0]!.open()) chunksOf.push(c);
    return Buffer.concat(chunksOf);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

describe('parsers under random and mutated input', () => {
  const valid: Record<keyof typeof parsers, Buffer> = { sae: Buffer.alloc(0), iif: Buffer.alloc(0), csv: Buffer.alloc(0) };
  beforeAll(async () => {
    valid.sae = renderBatchFile('sae', spec).bytes;
    valid.csv = renderBatchFile('csv', spec).bytes;
    valid.iif = await iifOf();
  });

  for (const kind of Object.keys(parsers) as Array<keyof typeof parsers>) {
    it(`${kind}: random bytes end in rows or a ParseError`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), fc.integer({ min: 1, max: 64 }), async (bytes, size) => {
          await outcome(parsers[kind](Buffer.from(bytes), size));
        }),
        { numRuns: 150 },
      );
    });

    it(`${kind}: the valid file parses, and mutations of it end in rows or a ParseError`, async () => {
      expect(await outcome(parsers[kind](valid[kind], 1000))).toBe(true);
      await fc.assert(
        fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 4096 }), async (muts, size) => {
          await outcome(parsers[kind](mutate(valid[kind], muts), size));
        }),
        { numRuns: 200 },
      );
    });
  }
});

describe('ZIP bundles under mutation', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prop-zip-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a mutated ZIP opens and parses, or fails with a ParseError', async () => {
    const zip = renderBatchFile('quickbooks-zip', spec).bytes;
    const stored = zipBuffer([{ name: 'a.iif', data: await iifOf(), method: 'store' }]);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 3 }), async (useStored, muts) => {
        const path = join(dir, `m${n++}.zip`);
        await writeFile(path, mutate(useStored ? stored : zip, muts));
        try {
          for (const part of await openBatchFile(path)) await outcome(part.rows());
        } catch (err) {
          if (!(err instanceof ParseError)) throw err;
        }
      }),
      { numRuns: 80 },
    );
  });
});
