// Which CSV profile a batch uses: the first rule whose conditions all match the batch.
import { z } from 'zod';

export const CsvProfileRuleSchema = z
  .object({
    profile: z.string().min(1),
    /** Batch list `Type`, e.g. `Employee` or `Card Program` (case-insensitive). */
    type: z.string().optional(),
    /** Batch list `PaymentMethod` (case-insensitive). */
    paymentMethod: z.string().optional(),
    /** A regular expression matched against the delivered file name. */
    fileName: z
      .string()
      .refine((s) => {
        try {
          new RegExp(s);
          return true;
        } catch {
          return false;
        }
      }, { message: 'not a valid regular expression' })
      .optional(),
  })
  .strict();
export type CsvProfileRule = z.infer<typeof CsvProfileRuleSchema>;

export interface BatchFacts {
  type?: string | null;
  paymentMethod?: string | null;
  fileName?: string | null;
}

const same = (a: string, b: string | null | undefined): boolean => a.trim().toLowerCase() === (b ?? '').trim().toLowerCase();

/** The profile name for a batch, or null when no rule matches. */
export function selectProfile(rules: readonly CsvProfileRule[], batch: BatchFacts): string | null {
  for (const r of rules) {
    if (r.type !== undefined && !same(r.type, batch.type)) continue;
    if (r.paymentMethod !== undefined && !same(r.paymentMethod, batch.paymentMethod)) continue;
    if (r.fileName !== undefined && !new RegExp(r.fileName).test(batch.fileName ?? '')) continue;
    return r.profile;
  }
  return null;
}
