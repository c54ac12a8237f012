// The parsers' public surface.
export { openBatchFile, openExtractedEntries, extractedEntryKind, loadedParts, entryReading, type ExtractedEntry, type BatchFileOptions, type BatchFilePart, type PartKind, type NamedProfile } from './batch-file.js';
export { DETECT_HEAD_BYTES, detectKind, type DetectedKind } from './detect.js';
export { ParseError, IifUnbalancedError, SaeHeaderMismatchError, ZipGuardError, type ParseErrorCode } from './errors.js';
export {
  CsvProfileSchema, CsvColumnsSchema, QUICKBOOKS_GL_CSV_PROFILE, QUICKBOOKS_GL_PROFILE_NAME, BUILTIN_CSV_PROFILES,
  type CsvProfile, type CsvProfileInput,
} from './csv-profile.js';
export { CsvProfileRuleSchema, selectProfile, chooseProfile, type CsvProfileRule, type BatchFacts, type ProfileSettings } from './profile-select.js';
export { ZipLimitsSchema, DEFAULT_ZIP_LIMITS, openZip, type ZipLimits } from './zip.js';
export { ParseLimitsSchema, DEFAULT_PARSE_LIMITS, type ParseLimits } from './limits.js';
export { parseCsv, csvHeaderOf, missingColumns } from './csv.js';
export { parseIif, readIif, type IifBlock, type IifRow, type IifItem } from './iif.js';
export { parseSae } from './sae.js';
export { newTally, type FileTally, type HeaderTotals, type IifListRecord } from './tally.js';
export type { FileKind, ParseContext } from './types.js';
