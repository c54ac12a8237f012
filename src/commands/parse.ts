// `erp-sync parse <file>`: parse a batch file offline and show what a load would decide: which parts are loaded,
// checked or only kept, their rows and totals, and the reconciliation (exit 1 on errors and mismatches).
import { once } from 'node:events';
import { access } from 'node:fs/promises';
import { basename } from 'node:path';
import { moneyText } from '../money.js';
import { printableLines } from '../printable.js';
import { loadedParts, openBatchFile, type BatchFileOptions, type BatchFilePart, type NamedProfile } from '../../parsers/batch-file.js';
import { BUILTIN_CSV_PROFILES, type CsvProfile } from '../../parsers/csv-profile.js';
import { ParseError } from '../../parsers/errors.js';
import { chooseProfile, type ProfileSettings } from '../../parsers/profile-select.js';
import { FigureTally, partFigures, reconcile } from '../pipeline/reconcile.js';
import { checkLabel } from '../model/reconciliation.js';
import type { Transaction } from '../model/transaction.js';

/** A row as --json prints it: a CSV row's raw record by name, as stored fields and header are what the load writes. */
function printedRow(t: Transaction): Transaction {
  if (t.rawFields === undefined) return t;
  const { rawFields: _fields, rawNames: _names, ...row } = t;
  return { ...row, raw: t.raw };
}

export interface ParseCommandOptions extends Pick<BatchFileOptions, 'zipLimits' | 'parseLimits'> {
  file: string;
  profile?: string;
  /** Profiles from the configuration; the built-in ones are always known. */
  profiles?: Record<string, CsvProfile>;
  /** A company's profile rules (from --config): they choose the profiles of a CSV file and of ZIP entries, as a load does. */
  settings?: ProfileSettings;
  json: boolean;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

const EXIT_OK = 0;
const EXIT_FILE_ERRORS = 1;
const EXIT_USAGE = 2;

/** Every line printed: names from the file (ZIP entries, the file name) may hold control characters. */
async function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!stream.write(printableLines(text))) await once(stream, 'drain');
}

function totalsText(part: BatchFilePart): string {
  const entries = [...part.tally.totals].sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([c, v]) => `${c || '(no currency)'} ${moneyText(v)}`).join(', ') : 'none';
}

function partLine(part: BatchFilePart, loaded: boolean): string {
  const indent = part.container ? '  ' : '';
  if (part.kind === 'unknown') return `${indent}${part.warning ?? `${part.name}: unknown kind: kept and delivered, not loaded`}`;
  const role = loaded ? 'loaded' : 'checked, not loaded (the GL CSV is loaded)';
  const profile = part.profile ? ` with profile ${part.profile}` : '';
  const extra = [part.tally.blocks ? `${part.tally.blocks} balanced blocks` : '', part.tally.listCount ? `${part.tally.listCount} IIF list records` : ''].filter(Boolean);
  return `${indent}${part.name}: ${part.kind}${profile}, ${role}, ${part.tally.rows} rows, totals ${totalsText(part)}${extra.length ? `, ${extra.join(', ')}` : ''}`;
}

export async function runParse(opts: ParseCommandOptions): Promise<number> {
  const profiles = { ...BUILTIN_CSV_PROFILES, ...opts.profiles };
  let named: NamedProfile | undefined;
  if (opts.profile !== undefined) {
    const profile = profiles[opts.profile];
    if (!profile) {
      await write(opts.err, `unknown profile ${JSON.stringify(opts.profile)}; known: ${Object.keys(profiles).sort().join(', ')}\n`);
      return EXIT_USAGE;
    }
    named = { name: opts.profile, profile };
  }
  try {
    await access(opts.file);
  } catch {
    await write(opts.err, `cannot read ${opts.file}\n`);
    return EXIT_USAGE;
  }

  const fileName = basename(opts.file);
  const choose = (entryName?: string) => named ?? (opts.settings ? chooseProfile(opts.settings, { fileName, entryName }) : undefined);
  let parts: BatchFilePart[];
  try {
    parts = await openBatchFile(opts.file, { csvProfile: choose()?.profile, entryCsvProfile: (entry) => choose(entry), zipLimits: opts.zipLimits, parseLimits: opts.parseLimits });
  } catch (err) {
    if (!(err instanceof ParseError)) throw err;
    await write(opts.err, `error: ${err.message}\n`);
    return EXIT_FILE_ERRORS;
  }
  const [only] = parts;
  if (parts.length === 1 && only && !only.container && only.kind === 'csv' && !choose()) {
    await write(opts.err, `${only.name} is a CSV file: name its layout with --profile (known: ${Object.keys(profiles).sort().join(', ')})\n`);
    return EXIT_USAGE;
  }

  const loaded = loadedParts(parts);
  const figures = new FigureTally();
  let failed = false;
  const isZip = parts.length === 0 || parts[0]?.container;
  if (!opts.json && isZip) await write(opts.out, `${fileName}: zip, ${parts.length} entries\n`);
  for (const part of parts) {
    const keep = loaded(part);
    try {
      for await (const t of part.rows()) {
        if (keep) figures.add(t);
        if (opts.json) await write(opts.out, JSON.stringify(printedRow(t)) + '\n');
      }
    } catch (err) {
      if (!(err instanceof ParseError)) throw err;
      failed = true;
      await write(opts.err, `error: ${err.message}\n`);
      continue;
    }
    if (!opts.json) await write(opts.out, partLine(part, keep) + '\n');
  }
  if (failed) return EXIT_FILE_ERRORS;

  // The same reconciliation as a load, from the rows that would be stored (no batch list offline).
  const rec = reconcile({ list: null, stored: figures.figures(), parts: partFigures(parts, loaded), warnings: parts.flatMap((p) => (p.warning ? [p.warning] : [])) });
  const lines = rec.checks.map((c) => `  ${c.ok ? 'ok' : 'MISMATCH'} ${checkLabel(c)}: expected ${c.expected}, actual ${c.actual}${c.ok ? '' : `, difference ${c.difference}`}`);
  const summary = [`reconciliation: ${rec.status}, ${rec.rows} rows to load`, ...lines, ...rec.warnings.map((w) => `  warning: ${w}`)].join('\n') + '\n';
  if (!opts.json) await write(opts.out, summary);
  else if (rec.status === 'mismatch') await write(opts.err, summary);
  return rec.status === 'mismatch' ? EXIT_FILE_ERRORS : EXIT_OK;
}
