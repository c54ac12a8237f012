// The `qitech-settlement` sink section of a company's configuration (the lead adds it to the sink union).
import { z } from 'zod';

/** A transaction column, or `raw:<column name>` for a field of the source line. */
export const TRANSACTION_COLUMNS = [
  'report_id',
  'report_key',
  'report_name',
  'employee_id',
  'employee_name',
  'entry_id',
  'journal_key',
  'account_code',
  'vendor',
  'payment_type',
] as const;

const TransactionField = z
  .string()
  .refine((f) => (TRANSACTION_COLUMNS as readonly string[]).includes(f) || /^raw:.+/.test(f), {
    message: `expected one of ${TRANSACTION_COLUMNS.join(', ')} or raw:<column name>`,
  });
export type TransactionField = z.infer<typeof TransactionField>;

const BankAccount = z.strictObject({
  account_number: z.string().min(1),
  account_digit: z.string().min(1),
  account_branch: z.string().min(1),
  financial_institution_code: z.string().min(1),
});

export const QiTechSinkConfigSchema = z
  .strictObject({
    type: z.literal('qitech-settlement'),
    name: z.string().min(1).default('qitech-settlement'),
    /** e.g. https://api-auth.qitech.app (no trailing path: requests go to /settlement/fund_class/…). */
    baseUrl: z.url(),
    apiClientKey: z.string().min(1),
    /** PEM file holding the ES512 (secp521r1) private key registered with QI Tech. */
    privateKeyPath: z.string().min(1),
    fundClassKey: z.string().min(1),
    /** The paying account: an account key, bank account fields, or neither (the fund's main account). */
    accountKey: z.string().length(36).optional(),
    account: BankAccount.optional(),
    settlement: z.strictObject({
      assetType: z.string().min(1),
      settlementType: z.string().min(1),
      collectionOriginType: z.enum(['borrower', 'assignor']).optional(),
      /** Where each payment demand's contract number and installment number come from (first row of the report). */
      contractNumberField: TransactionField.optional(),
      installmentNumberField: TransactionField.optional(),
    }),
    /** Discard the QI Tech batch (batch_status: discarded) when it fails permanently before it is closed. */
    discardOnPermanentFailure: z.boolean().default(true),
    requestTimeoutMs: z.number().int().positive().default(30_000),
    retries: z
      .strictObject({
        /** Attempts per request on network errors, 429 and 5xx (a lost answer is recovered by read-back). */
        attempts: z.number().int().min(1).default(4),
        baseDelayMs: z.number().int().nonnegative().default(500),
        maxDelayMs: z.number().int().nonnegative().default(15_000),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.accountKey !== undefined && c.account !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['account'], message: 'set accountKey or account, not both (neither: the fund’s main account)' });
    }
  });

export type QiTechSinkConfigInput = z.input<typeof QiTechSinkConfigSchema>;
export type QiTechSinkConfig = z.output<typeof QiTechSinkConfigSchema>;
