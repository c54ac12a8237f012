// `erp-sync parse <file>`: parse a batch file offline; a summary, or one JSON transaction per line.
import { once } from 'node:events';
import { access } from 'node:fs/promises';
import { moneyText } from '../money.js';
import { openBatchFile, type BatchFilePart } from '../../parsers/batch-file.js';
import { BUILTIN_CSV_PROFILES, type CsvProfile } from '../../parsers/csv-profile.js';
import { ParseError } from '../../parsers/errors.js';
import { reconcile } from '../../parsers/reconcile.js';

export interface ParseCommandOptions {
  file: string;
  profile?: string;
  /** Profiles from the configuration; the built-in ones are always known. */
  profiles?: Record<string, CsvProfile>;
  json: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

const EXIT_OK = 0;
const EXIT_FILE_ERRORS = 1;
const EXIT_USAGE = 2;

async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

function totalsText(part: BatchFilePart): string {
  const entries = [...part.tally.totals].sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([c, v]) => `${c || '(no currency)'} ${moneyText(v)}`).join(', ') : 'none';
}

function summaryOf(part: BatchFilePart): { lines: string[]; mismatch: string[] } {
  const indent = part.container ? '  ' : '';
  const lines = [`${indent}${part.name}: ${part.kind}${part.kind === 'unknown' ? ' (kept, not parsed)' : `, ${part.tally.rows} rows, totals ${totalsText(part)}`}`];
  if (part.tally.listCount) lines.push(`${indent}  ${part.tally.listCount} IIF list records`);
  if (part.kind === 'unknown') return { lines, mismatch: [] };
  const rec = reconcile({ batch: null, parts: [{ name: part.name, totals: part.tally.totals, header: part.tally.header }] });
  if (!rec.checks.length) lines.push(`${indent}  reconciliation: the file states no totals of its own`);
  const mismatch: string[] = [];
  for (const c of rec.checks) {
    if (c.ok) lines.push(`${indent}  reconciliation: reconciled with the header total ${c.expected}`);
    else {
      mismatch.push(`${part.name}: reconciliation mismatch: header total ${c.expected}, lines sum ${c.actual}, difference ${c.difference}`);
      lines.push(`${indent}  reconciliation: MISMATCH, header total ${c.expected}, lines sum ${c.actual}, difference ${c.difference}`);
    }
  }
  return { lines, mismatch };
}

export async function runParse(opts: ParseCommandOptions): Promise<number> {
  const profiles = { ...BUILTIN_CSV_PROFILES, ...opts.profiles };
  let profile: CsvProfile | undefined;
  if (opts.profile !== undefined) {
    profile = profiles[opts.profile];
    if (!profile) {
      await write(opts.err, `unknown profile ${JSON.stringify(opts.profile)}; known: ${Object.keys(profiles).sort().join(', ')}\n`);
      return EXIT_USAGE;
    }
  }
  try {
    await access(opts.file);
  } catch {
    await write(opts.err, `cannot read ${opts.file}\n`);
    return EXIT_USAGE;
  }

  let parts: BatchFilePart[];
  try {
    parts = await openBatchFile(opts.file, { csvProfile: profile, ...(profile ? { zipCsvProfile: profile } : {}) });
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    await write(opts.err, `error: ${err.message}\n`);
    return EXIT_FILE_ERRORS;
  }
  const [only] = parts;
  if (parts.length === 1 && only && !only.container) {
    if (only.kind === 'csv' && !profile) {
      await write(opts.err, `${only.name} is a CSV file: name its layout with --profile (known: ${Object.keys(profiles).sort().join(', ')})\n`);
      return EXIT_USAGE;
    }
    if (only.kind === 'unknown') {
      await write(opts.err, `error: ${only.name}: not a batch file (neither ZIP, SAE, IIF nor CSV text)\n`);
      return EXIT_FILE_ERRORS;
    }
  }

  let failed = false;
  if (!opts.json && parts[0]?.container) await write(opts.out, `${parts[0].container}: zip, ${parts.length} entries\n`);
  for (const part of parts) {
    try {
      for await (const t of part.rows()) if (opts.json) await write(opts.out, JSON.stringify(t) + '\n');
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      failed = true;
      await write(opts.err, `error: ${err.message}\n`);
      continue;
    }
    const { lines, mismatch } = summaryOf(part);
    if (mismatch.length) failed = true;
    if (!opts.json) await write(opts.out, lines.join('\n') + '\n');
    else if (mismatch.length) await write(opts.err, mismatch.join('\n') + '\n');
  }
  return failed ? EXIT_FILE_ERRORS : EXIT_OK;
}
