// The normalized journal export's settings (`formats:`, `balanced:`, `payable:` of an SFTP sink): which files,
// which columns, which number/date/text conventions. Presets are plain defaults a configuration may override.
import { z } from 'zod';
import { usesOnlyDateTokens } from '../date-format.js';
import { JOURNAL_FIELDS, type PayableSettings } from './lines.js';

const DATE_FORMAT = z
  .string()
  .min(1)
  .refine(usesOnlyDateTokens, 'a date format may only use yyyy, MM, dd, HH, mm, ss');

/** A column: a journal field (or `raw:<source column>`), with the heading it gets in the file. */
const ColumnSchema = z.union([
  z.string().min(1).transform((field) => ({ field, header: field })),
  z.strictObject({ field: z.string().min(1), header: z.string().min(1).optional() }).transform((c) => ({ field: c.field, header: c.header ?? c.field })),
]);

const fileName = z
  .string()
  .regex(/^[A-Za-z0-9._{}-]+$/, 'letters, digits, . _ - and {batchId}')
  .refine((f) => f.includes('{batchId}'), 'the file name must contain {batchId} (one file per batch)');

const CsvFormatSchema = z.strictObject({
  type: z.literal('csv'),
  /** Names the format in the manifest and for `erp-sync export --format`; default the preset's name. */
  name: z.string().regex(/^[a-z0-9_-]+$/).optional(),
  preset: z.literal('generic').default('generic'),
  fileName: fileName.optional(),
  columns: z.array(ColumnSchema).min(1).optional(),
  delimiter: z.string().length(1).default(','),
  decimalSeparator: z.enum(['.', ',']).default('.'),
  dateFormat: DATE_FORMAT.default('yyyy-MM-dd'),
  encoding: z.enum(['utf-8', 'windows-1252']).default('utf-8'),
  header: z.boolean().default(true),
  lineEnding: z.enum(['lf', 'crlf']).default('lf'),
});

const JsonLinesFormatSchema = z.strictObject({
  type: z.literal('jsonl'),
  name: z.string().regex(/^[a-z0-9_-]+$/).optional(),
  fileName: fileName.optional(),
});

/** DATEV-Format Buchungsstapel (EXTF 700, category 21, format version 13). */
const DatevFormatSchema = z.strictObject({
  type: z.literal('datev'),
  name: z.string().regex(/^[a-z0-9_-]+$/).optional(),
  fileName: fileName.optional(),
  /** Beraternummer (1001–9999999) and Mandantennummer (1–99999), from the tax advisor. */
  advisorNumber: z.number().int().min(1001).max(9_999_999),
  clientNumber: z.number().int().min(1).max(99_999),
  /** First day of the fiscal year as MM-DD (WJ-Beginn takes the year of the batch's first date). */
  fiscalYearStart: z.string().regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'MM-DD').default('01-01'),
  /** Sachkontenlänge: digits of a general-ledger account number. */
  accountLength: z.number().int().min(4).max(8).default(4),
  /** Sachkontenrahmen, e.g. "03" (SKR03) or "04" (SKR04); empty: not stated. */
  chartOfAccounts: z.string().regex(/^\d{2}$/).optional(),
  /** Concur account code -> DATEV Konto; codes not listed are used as they are (they must be numeric). */
  accounts: z.record(z.string(), z.string().regex(/^\d{1,9}$/)).default({}),
});

export const FormatSchema = z.discriminatedUnion('type', [CsvFormatSchema, JsonLinesFormatSchema, DatevFormatSchema]);

export const JournalSettingsSchema = {
  /** The normalized journal files delivered with `deliver: normalized`. */
  formats: z.array(FormatSchema).min(1).prefault([{ type: 'csv' }]),
  /** Add one payable line per report and currency so the journal sums to zero (CSV and JSON Lines). */
  balanced: z.boolean().default(false),
  /** The payable (Gegenkonto) account: one for all, or per Concur employee id. Required by `balanced` and DATEV. */
  payable: z
    .strictObject({ account: z.string().min(1), byEmployee: z.record(z.string(), z.string().min(1)).default({}) })
    .optional(),
};

/** The built-in formats `erp-sync export` offers for any batch: the generic CSV and JSON Lines, unbalanced. */
export const BUILT_IN_JOURNAL: JournalSettings = z.strictObject(JournalSettingsSchema).parse({ formats: [{ type: 'csv' }, { type: 'jsonl' }] });

export type FormatConfig = z.output<typeof FormatSchema>;
export type CsvFormat = z.output<typeof CsvFormatSchema>;
export type DatevFormat = z.output<typeof DatevFormatSchema>;
export type JournalSettings = { formats: FormatConfig[]; balanced: boolean; payable?: PayableSettings | undefined };

/** The name a format goes by (manifest, `--format`). */
export const formatName = (f: FormatConfig): string => f.name ?? (f.type === 'csv' ? f.preset : f.type);

/** The file name template of a format. */
function formatFileName(f: FormatConfig): string {
  if (f.fileName) return f.fileName;
  if (f.type === 'datev') return 'EXTF_Buchungsstapel_{batchId}.csv';
  return f.type === 'jsonl' ? '{batchId}.journal.jsonl' : `{batchId}.${formatName(f)}.csv`;
}

/** The name of a format's file for one batch (the path template places it). */
export const journalFileName = (f: FormatConfig, concurBatchId: string): string => formatFileName(f).replaceAll('{batchId}', concurBatchId);

/** Problems of the journal settings as a whole (paths into the sink's section). */
export function journalProblems(s: JournalSettings): Array<{ path: (string | number)[]; message: string }> {
  const problems: Array<{ path: (string | number)[]; message: string }> = [];
  const names = new Map<string, number>();
  const files = new Map<string, number>();
  s.formats.forEach((f, i) => {
    const name = formatName(f);
    if (names.has(name)) problems.push({ path: ['formats', i, 'name'], message: `format name "${name}" is used twice; give each format a name` });
    names.set(name, i);
    const file = formatFileName(f);
    if (files.has(file)) problems.push({ path: ['formats', i, 'fileName'], message: `file name "${file}" is used twice` });
    files.set(file, i);
    if (f.type === 'csv') {
      f.columns?.forEach((c, j) => {
        if (!c.field.startsWith('raw:') && !(JOURNAL_FIELDS as readonly string[]).includes(c.field)) {
          problems.push({ path: ['formats', i, 'columns', j], message: `unknown field "${c.field}"; one of ${JOURNAL_FIELDS.join(', ')} or raw:<column>` });
        }
      });
      if (f.delimiter === f.decimalSeparator) problems.push({ path: ['formats', i, 'delimiter'], message: 'the delimiter and the decimal separator must differ' });
    }
    if (f.type === 'datev' && !s.payable) problems.push({ path: ['payable'], message: 'the datev format needs payable.account (the Gegenkonto)' });
  });
  if (s.balanced && !s.payable) problems.push({ path: ['payable'], message: 'balanced: true needs payable.account' });
  return problems;
}
