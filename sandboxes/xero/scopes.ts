// Xero's OAuth scope model as documented (developer.xero.com/documentation/oauth2/scopes, granular scopes FAQ):
// apps created on or after 2 March 2026 only have granular scopes; older apps may still have the broad
// accounting.transactions (until September 2027) besides them. Every scope has a `.read` variant for GETs.

const GRANULAR_FAMILIES = ['accounting.invoices', 'accounting.payments', 'accounting.banktransactions', 'accounting.manualjournals', 'accounting.classicexpenses'];
const OTHER_FAMILIES = ['accounting.contacts', 'accounting.settings', 'accounting.attachments'];
/** The granular families that accounting.transactions covers. */
const UNDER_TRANSACTIONS = new Set(GRANULAR_FAMILIES);

export type SandboxAppKind = 'granular' | 'legacy';

const withRead = (scopes: string[]) => scopes.flatMap((s) => [s, `${s}.read`]);

/** The scopes an app of this kind may be granted. */
export function appScopes(kind: SandboxAppKind): string[] {
  return withRead([...GRANULAR_FAMILIES, ...OTHER_FAMILIES, ...(kind === 'legacy' ? ['accounting.transactions'] : [])]);
}

/** Each Accounting API resource's scope family. */
const FAMILY_OF: Record<string, string> = {
  Invoices: 'accounting.invoices',
  CreditNotes: 'accounting.invoices',
  Items: 'accounting.invoices',
  PurchaseOrders: 'accounting.invoices',
  Quotes: 'accounting.invoices',
  RepeatingInvoices: 'accounting.invoices',
  LinkedTransactions: 'accounting.invoices',
  BatchPayments: 'accounting.payments',
  Payments: 'accounting.payments',
  Overpayments: 'accounting.payments',
  Prepayments: 'accounting.payments',
  BankTransactions: 'accounting.banktransactions',
  BankTransfers: 'accounting.banktransactions',
  ManualJournals: 'accounting.manualjournals',
  ExpenseClaims: 'accounting.classicexpenses',
  Receipts: 'accounting.classicexpenses',
  Contacts: 'accounting.contacts',
  ContactGroups: 'accounting.contacts',
  Accounts: 'accounting.settings',
  Organisation: 'accounting.settings',
  Currencies: 'accounting.settings',
  TaxRates: 'accounting.settings',
  TrackingCategories: 'accounting.settings',
  BrandingThemes: 'accounting.settings',
};

/** Whether a token with `granted` may call `method` on the resource of `path` (under /api.xro/2.0). */
export function scopeAllows(granted: ReadonlySet<string>, method: string, path: string): boolean {
  const family = FAMILY_OF[/^\/([A-Za-z]+)/.exec(path)?.[1] ?? ''];
  if (!family) return true; // not a resource the sandbox knows: its 404 says so
  const families = UNDER_TRANSACTIONS.has(family) ? [family, 'accounting.transactions'] : [family];
  return families.some((f) => granted.has(f) || (method === 'GET' && granted.has(`${f}.read`)));
}
