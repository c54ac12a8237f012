// The `xero` sink section of a company's configuration (src/config/schema.ts adds XeroSinkConfigSchema to the sink union).
import { z } from 'zod';

const bankAccountRef = z.union([z.strictObject({ code: z.string().min(1) }), z.strictObject({ accountId: z.uuid() })]);

const contactRef = z.union([z.strictObject({ contactId: z.uuid() }), z.strictObject({ name: z.string().min(1).max(255) })]);

const credentials = {
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
};

export const XeroSinkConfigSchema = z
  .strictObject({
    type: z.literal('xero'),
    name: z.string().min(1).default('xero'),
    /** The organisation (xero-tenant-id header). */
    tenantId: z.string().min(1),
    apiUrl: z.url().default('https://api.xero.com/api.xro/2.0'),
    tokenUrl: z.url().default('https://identity.xero.com/connect/token'),
    /**
     * The OAuth scopes asked for (client_credentials) and expected (refresh_token): `granular` (apps created on or
     * after 2 March 2026), `legacy` (the broad accounting.transactions of older apps), or an exact list.
     */
    scopes: z.union([z.enum(['granular', 'legacy']), z.array(z.string().regex(/^\S+$/, 'one scope, no spaces')).min(1)]).default('granular'),
    auth: z.discriminatedUnion('kind', [
      /** A custom connection: no refresh token, a new access token when needed. */
      z.strictObject({ kind: z.literal('client_credentials'), ...credentials }),
      /** A standard connection: the refresh token rotates on every use; the database keeps the current one. */
      z.strictObject({ kind: z.literal('refresh_token'), ...credentials, refreshToken: z.string().min(1) }),
    ]),
    /** The bank account a batch is paid from, by Code or AccountID: per currency, else this one. */
    bankAccount: bankAccountRef.optional(),
    bankAccounts: z.record(z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 currency code'), bankAccountRef).default({}),
    /** Create the bill of a report that Xero does not have; false: a missing bill fails the delivery. */
    createBills: z.boolean().default(false),
    /** Concur account code -> Xero account code, for the lines of created bills. */
    accounts: z.record(z.string(), z.string().min(1)).default({}),
    /** Xero account code for Concur codes not in `accounts`; absent: an unmapped code fails the delivery. */
    defaultAccountCode: z.string().min(1).optional(),
    contacts: z
      .strictObject({
        byEmployeeId: z.record(z.string(), contactRef).default({}),
        byName: z.record(z.string(), contactRef).default({}),
        /** employee-name: bills go to the contact named like the employee (Xero creates it if missing). */
        fallback: z.enum(['employee-name', 'none']).default('none'),
      })
      .prefault({}),
    /** Tracking categories on created bill lines: a fixed option, or the value of a transaction field. */
    tracking: z
      .array(z.union([z.strictObject({ name: z.string().min(1), option: z.string().min(1) }), z.strictObject({ name: z.string().min(1), field: z.string().min(1) })]))
      .max(2) // Xero allows two active tracking categories
      .default([]),
    lineAmountTypes: z.enum(['NoTax', 'Exclusive', 'Inclusive']).default('NoTax'),
    /** Only lines with these payment types are owed to employees; absent: every line. */
    paymentTypes: z.array(z.string()).min(1).optional(),
    limits: z
      .strictObject({
        concurrent: z.number().int().min(1).max(5).default(5),
        perMinute: z.number().int().min(1).max(60).default(60),
        /** Report ids per GET /Invoices where filter (the URL stays short). */
        lookupChunk: z.number().int().min(1).max(100).default(40),
        /** Bills per PUT /Invoices. */
        createChunk: z.number().int().min(1).max(100).default(50),
      })
      .prefault({}),
    retries: z
      .strictObject({
        attempts: z.number().int().min(1).default(6),
        baseDelayMs: z.number().int().nonnegative().default(1_000),
        maxDelayMs: z.number().int().nonnegative().default(60_000),
      })
      .prefault({}),
    requestTimeoutMs: z.number().int().positive().default(30_000),
  })
  .superRefine((c, ctx) => {
    if (!c.bankAccount && Object.keys(c.bankAccounts).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['bankAccount'], message: 'set bankAccount (any currency) or bankAccounts (per currency)' });
    }
  });

export type XeroSinkConfigInput = z.input<typeof XeroSinkConfigSchema>;
export type XeroSinkConfig = z.output<typeof XeroSinkConfigSchema>;
export type ContactRef = z.output<typeof contactRef>;
export type BankAccountRef = z.output<typeof bankAccountRef>;

/** The company's xero sink config named `sink`, validated (the config union may not know it yet). */
export function xeroSinkConfig(sinks: readonly unknown[], sink: string): XeroSinkConfig | null {
  for (const s of sinks) {
    const parsed = XeroSinkConfigSchema.safeParse(s);
    if (parsed.success && parsed.data.name === sink) return parsed.data;
  }
  return null;
}
