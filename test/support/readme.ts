// The README's examples, for tests that keep them true.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** The fenced blocks of one language, with the line each starts on. */
export function readmeBlocks(lang: string): Array<{ line: number; text: string }> {
  const blocks: Array<{ line: number; text: string }> = [];
  for (const m of README.matchAll(new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```', 'gm'))) {
    blocks.push({ line: README.slice(0, m.index).split('\n').length, text: m[1]! });
  }
  return blocks;
}

/** What a manifest's reader relies on: key order, the format, value types, reconciliation status, file kinds. */
export function manifestShape(m: Record<string, unknown>): unknown {
  const files = m.files as Array<Record<string, unknown>>;
  const rec = m.reconciliation as Record<string, unknown>;
  return {
    keys: Object.keys(m),
    format: m.format,
    types: Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Array.isArray(v) ? 'array' : typeof v])),
    totals: Object.values(m.totals as object).map((v) => typeof v),
    reconciliation: { keys: Object.keys(rec), status: rec.status, difference: typeof rec.difference },
    files: files.map((f) => ({ keys: Object.keys(f), kind: f.kind, size: typeof f.size })),
  };
}
