// Small helpers shared by the parser tests.
import type { Transaction } from '../../src/model/transaction.js';
import { ParseError } from '../../parsers/errors.js';
import type { ParseContext } from '../../parsers/types.js';
import type { BatchFilePart } from '../../parsers/batch-file.js';
import type { FileTally } from '../../parsers/tally.js';
import type { Reconciliation } from '../../src/model/reconciliation.js';
import { FigureTally, partFigures, reconcile, type ListFigures } from '../../src/pipeline/reconcile.js';

/** A buffer as an async byte stream, in chunks of `size` bytes (small sizes exercise boundaries). */
export async function* chunks(data: Buffer | string, size = 64 * 1024): AsyncGenerator<Buffer> {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The ParseError an async iteration ends with (fails the test if it ends otherwise). */
export async function parseErrorOf(it: AsyncIterable<unknown>): Promise<ParseError> {
  try {
    for await (const _ of it) {
      // consume
    }
  } catch (err) {
    if (err instanceof ParseError) return err;
    throw err;
  }
  throw new Error('expected a ParseError, but parsing succeeded');
}

export function ctx(file = 'test-file', extra: Partial<ParseContext> = {}): ParseContext {
  return { file, fileSha256: 'f'.repeat(64), ...extra };
}

export function amounts(rows: Transaction[]): string[] {
  return rows.map((r) => r.amount);
}

/** The reconciliation a load would compute for one parsed file (its rows as they would be stored). */
export function reconcileParsed(
  rows: Transaction[],
  part: { name: string; kind: 'csv' | 'iif' | 'sae'; tally: FileTally },
  list: ListFigures | null = null,
): Reconciliation {
  const figures = new FigureTally();
  for (const r of rows) figures.add(r);
  const [fig] = partFigures([{ ...part, container: null } as unknown as BatchFilePart], () => true);
  return reconcile({ list, stored: figures.figures(), parts: [fig!] });
}
