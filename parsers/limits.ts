// Bounds on what one parser holds in memory, whatever the input: a file beyond them is refused (bad input),
// so a hostile file costs a bounded amount of memory instead of taking the process down.
import { z } from 'zod';
import { ParseError, type ParseLocation } from './errors.js';

const MiB = 1024 * 1024;

export const ParseLimitsSchema = z
  .object({
    /** Any single line (SAE, IIF), and any CSV record (a quoted field may span lines). */
    maxLineBytes: z.number().int().positive().default(4 * MiB),
    /** Fields of any single line, including IIF values beyond the declared header (an SAE DETAIL line has 400). */
    maxFieldsPerLine: z.number().int().positive().default(2_000),
    /** One IIF TRNS..ENDTRNS block is held whole (it must balance), so it is bounded in rows, bytes and fields. */
    maxIifBlockRows: z.number().int().positive().default(20_000),
    maxIifBlockBytes: z.number().int().positive().default(8 * MiB),
    maxIifBlockFields: z.number().int().positive().default(200_000),
    /** Distinct IIF header rows (`!TRNS`, `!ACCNT`, ...) kept while reading, and their bytes. */
    maxIifHeaders: z.number().int().positive().default(1_000),
    maxIifHeaderBytes: z.number().int().positive().default(1 * MiB),
  })
  .strict();
export type ParseLimits = z.output<typeof ParseLimitsSchema>;
export const DEFAULT_PARSE_LIMITS: ParseLimits = ParseLimitsSchema.parse({});

/** The refusal of an input beyond one limit: says what went over, the limit, and the setting that raises it. */
export function beyondLimit(limits: ParseLimits, key: keyof ParseLimits, what: string, loc: ParseLocation): ParseError {
  return new ParseError('too-large', `${what} than the limit of ${limits[key]} (parseLimits.${key})`, loc);
}
