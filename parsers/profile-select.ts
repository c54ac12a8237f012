// Which CSV profile a batch's CSV (or a ZIP's CSV entry) uses: the first rule whose conditions all match.
import { z } from 'zod';
import { BUILTIN_CSV_PROFILES, type CsvProfile } from './csv-profile.js';

const RegexSchema = z.string().refine((s) => {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}, { message: 'not a valid regular expression' });

export const CsvProfileRuleSchema = z
  .object({
    profile: z.string().min(1),
    /** Batch list `Type`, e.g. `Employee` or `Card Program` (case-insensitive). */
    type: z.string().optional(),
    /** Batch list `PaymentMethod` (case-insensitive). */
    paymentMethod: z.string().optional(),
    /** A regular expression matched against the delivered file name. */
    fileName: RegexSchema.optional(),
    /** A regular expression matched against a ZIP entry's name: the rule then chooses the profile of that entry (e.g. `_GL\\.csv$`). */
    entryName: RegexSchema.optional(),
  })
  .strict();
export type CsvProfileRule = z.infer<typeof CsvProfileRuleSchema>;

export interface BatchFacts {
  type?: string | null;
  paymentMethod?: string | null;
  fileName?: string | null;
  /** Set when choosing for a ZIP entry: only rules with `entryName` apply to entries, only rules without it to files. */
  entryName?: string | null;
}

const same = (a: string, b: string | null | undefined): boolean => a.trim().toLowerCase() === (b ?? '').trim().toLowerCase();

/** The profile name for a batch, or null when no rule matches. */
export function selectProfile(rules: readonly CsvProfileRule[], batch: BatchFacts): string | null {
  for (const r of rules) {
    if (r.type !== undefined && !same(r.type, batch.type)) continue;
    if (r.paymentMethod !== undefined && !same(r.paymentMethod, batch.paymentMethod)) continue;
    if (r.fileName !== undefined && !new RegExp(r.fileName).test(batch.fileName ?? '')) continue;
    if ((batch.entryName ?? null) === null ? r.entryName !== undefined : r.entryName === undefined || !new RegExp(r.entryName).test(batch.entryName ?? '')) continue;
    return r.profile;
  }
  return null;
}

/** A company's profile settings (config `csvProfiles`, `csvProfileRules`, `defaultCsvProfile`). */
export interface ProfileSettings {
  csvProfiles: Readonly<Record<string, CsvProfile>>;
  csvProfileRules: readonly CsvProfileRule[];
  defaultCsvProfile?: string | undefined;
}

/** The profile the rules choose (a top-level file falls back to defaultCsvProfile, a ZIP entry does not), with its name. */
export function chooseProfile(settings: ProfileSettings, facts: BatchFacts): { name: string; profile: CsvProfile } | undefined {
  const profiles = { ...BUILTIN_CSV_PROFILES, ...settings.csvProfiles };
  const name = selectProfile(settings.csvProfileRules, facts) ?? (facts.entryName ? undefined : settings.defaultCsvProfile);
  const profile = name ? profiles[name] : undefined;
  return name && profile ? { name, profile } : undefined;
}
