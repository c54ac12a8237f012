// A CSV profile: how one customer's Concur "File Export Configuration" lays out its CSV.
import { z } from 'zod';
import { isValidDateFormat } from './date.js';

/** A column by header name, or by 1-based position (the only form for files without a header row). */
export const ColumnRefSchema = z.union([z.string().min(1), z.number().int().positive()]);
export type ColumnRef = z.infer<typeof ColumnRefSchema>;

export const CsvColumnsSchema = z
  .object({
    sourceBatchId: ColumnRefSchema.optional(),
    employeeId: ColumnRefSchema.optional(),
    employeeName: ColumnRefSchema.optional(),
    reportId: ColumnRefSchema.optional(),
    reportKey: ColumnRefSchema.optional(),
    reportName: ColumnRefSchema.optional(),
    entryId: ColumnRefSchema.optional(),
    journalKey: ColumnRefSchema.optional(),
    transactionDate: ColumnRefSchema.optional(),
    expenseType: ColumnRefSchema.optional(),
    description: ColumnRefSchema.optional(),
    vendor: ColumnRefSchema.optional(),
    accountCode: ColumnRefSchema.optional(),
    /** A column holding DR/CR (see debitValues/creditValues). */
    debitCredit: ColumnRefSchema.optional(),
    /** A signed amount; or give `debit` and/or `credit` columns instead (amount = debit - credit). */
    amount: ColumnRefSchema.optional(),
    debit: ColumnRefSchema.optional(),
    credit: ColumnRefSchema.optional(),
    currency: ColumnRefSchema.optional(),
    paymentType: ColumnRefSchema.optional(),
  })
  .strict()
  .refine((c) => c.amount !== undefined || c.debit !== undefined || c.credit !== undefined, {
    message: 'map an amount column, or debit and/or credit columns',
  })
  .refine((c) => c.amount === undefined || (c.debit === undefined && c.credit === undefined), {
    message: 'map either amount or debit/credit, not both',
  });
export type CsvColumns = z.infer<typeof CsvColumnsSchema>;

export const CsvProfileSchema = z
  .object({
    delimiter: z.string().min(1).max(4).default(','),
    /** The quote character; '' turns quoting off. */
    quote: z.string().max(1).default('"'),
    /** `auto`: a UTF-8 BOM means UTF-8; otherwise each line is UTF-8 if valid, else Windows-1252. */
    encoding: z.enum(['utf-8', 'windows-1252', 'auto']).default('auto'),
    header: z.boolean().default(true),
    /** Tokens yyyy, yy, MM, M, dd, d; anything else literal (e.g. `dd.MM.yyyy`, `M/d/yy`). */
    dateFormat: z.string().refine(isValidDateFormat, { message: 'a date format needs yyyy or yy, M or MM, d or dd' }).default('yyyy-MM-dd'),
    decimalSeparator: z.enum(['.', ',']).default('.'),
    thousandsSeparator: z.enum(['', ',', '.', ' ', "'"]).default(''),
    /** Currency of every row when no currency column is mapped (else the batch's currency applies). */
    defaultCurrency: z.string().regex(/^[A-Z]{3}$/).optional(),
    debitValues: z.array(z.string()).default(['DR', 'D', 'DEBIT']),
    creditValues: z.array(z.string()).default(['CR', 'C', 'CREDIT']),
    /** The amount column is unsigned and the debitCredit column gives the sign: CR rows are negated. */
    negateCredits: z.boolean().default(false),
    columns: CsvColumnsSchema,
  })
  .strict()
  .refine((p) => p.thousandsSeparator !== p.decimalSeparator, { message: 'decimal and thousands separators must differ' })
  .refine((p) => p.header || Object.values(p.columns).every((c) => typeof c === 'number'), {
    message: 'without a header row, columns are given by 1-based position',
  })
  .refine((p) => p.quote === '' || !p.delimiter.includes(p.quote), { message: 'the quote cannot be part of the delimiter' });

/** A validated profile (defaults applied). */
export type CsvProfile = z.output<typeof CsvProfileSchema>;
/** A profile as written in the configuration (defaults optional). */
export type CsvProfileInput = z.input<typeof CsvProfileSchema>;

/** The general-ledger CSV of Concur's QuickBooks bundle (the ZIP's `.csv`). */
export const QUICKBOOKS_GL_CSV_PROFILE: CsvProfile = CsvProfileSchema.parse({
  delimiter: ',',
  encoding: 'auto',
  header: true,
  dateFormat: 'MM/dd/yyyy',
  decimalSeparator: '.',
  thousandsSeparator: ',',
  columns: {
    transactionDate: 'Date',
    accountCode: 'Account',
    debit: 'Debit',
    credit: 'Credit',
    description: 'Memo',
    employeeName: 'Employee',
    vendor: 'Vendor',
    reportId: 'Report ID',
    entryId: 'Entry ID',
    expenseType: 'Expense Type',
    currency: 'Currency',
  },
});

export const QUICKBOOKS_GL_PROFILE_NAME = 'quickbooks-gl';

/** Profiles every installation knows by name. */
export const BUILTIN_CSV_PROFILES: Readonly<Record<string, CsvProfile>> = { [QUICKBOOKS_GL_PROFILE_NAME]: QUICKBOOKS_GL_CSV_PROFILE };
