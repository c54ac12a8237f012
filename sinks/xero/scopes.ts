// The OAuth scopes of the Xero sink. Apps created on or after 2 March 2026 only have Xero's granular scopes
// (accounting.invoices, accounting.payments, …); older apps may keep the broad accounting.transactions until
// September 2027 (`scopes: legacy`). A missing scope is a configuration problem: named, never retried.
import { SinkError } from '../sink.js';

/** What the sink does: bills (Invoices), batch payments and their read-back, contacts, and settings look-ups. */
export const GRANULAR_SCOPES = ['accounting.invoices', 'accounting.payments', 'accounting.contacts', 'accounting.settings.read'] as const;
/** The same for an app created before 2 March 2026 that still has the broad transactions scope. */
export const LEGACY_SCOPES = ['accounting.transactions', 'accounting.contacts', 'accounting.settings.read'] as const;
const BROAD = 'accounting.transactions';

export type ScopesSetting = 'granular' | 'legacy' | string[];

export function requestedScopes(setting: ScopesSetting): string[] {
  if (setting === 'granular') return [...GRANULAR_SCOPES];
  if (setting === 'legacy') return [...LEGACY_SCOPES];
  return setting;
}

/** Xero's scope family of an Accounting API path: the granular scope, and whether the broad one covers it too. */
function family(path: string): { scope: string; transactional: boolean } | null {
  const resource = /^\/([A-Za-z]+)/.exec(path)?.[1];
  if (resource === 'Invoices') return { scope: 'accounting.invoices', transactional: true };
  if (resource === 'BatchPayments' || resource === 'Payments') return { scope: 'accounting.payments', transactional: true };
  if (resource === 'Contacts') return { scope: 'accounting.contacts', transactional: false };
  if (resource === 'Accounts' || resource === 'Organisation' || resource === 'Currencies') return { scope: 'accounting.settings', transactional: false };
  return null;
}

/** The scopes any one of which lets `method path` through (a GET also takes the `.read` variants). */
export function scopesFor(method: string, path: string): string[] {
  const f = family(path);
  if (!f) return [];
  const full = f.transactional ? [f.scope, BROAD] : [f.scope];
  return method === 'GET' ? full.flatMap((s) => [s, `${s}.read`]) : full;
}

export interface ScopeContext {
  companyId: string;
  sink: string;
  setting: ScopesSetting;
}

function settingText(c: ScopeContext): string {
  const now = typeof c.setting === 'string' ? `${c.setting}: ${requestedScopes(c.setting).join(' ')}` : c.setting.join(' ');
  return `the \`scopes\` setting of Xero sink ${c.sink} (company ${c.companyId}; now ${now})`;
}

/** A scope the connection lacks: the company's Xero sink needs a person (not retryable). */
export class XeroScopeError extends SinkError {
  constructor(message: string) {
    super('auth', message);
  }
}

/** The identity server answered invalid_scope to the scopes asked for. */
export function invalidScopeError(c: ScopeContext): XeroScopeError {
  const asked = requestedScopes(c.setting);
  const hint = asked.includes(BROAD)
    ? `${BROAD} is a broad scope that Xero apps created on or after 2 March 2026 cannot have: use the granular scopes (remove \`scopes: legacy\`), or enable the scopes for the app`
    : `enable these scopes for the Xero app, or change ${settingText(c)} to the scopes the app has (\`legacy\` for an app created before 2 March 2026)`;
  return new XeroScopeError(`Xero refused the scopes asked for (invalid_scope): ${asked.join(' ')}. The app lacks at least one of them: ${hint}`);
}

/** A 401 AuthorizationUnsuccessful: the access token lacks the scope `method path` needs. */
export function missingScopeError(c: ScopeContext, op: string, method: string, path: string, granted: readonly string[] | null): XeroScopeError {
  const accepted = scopesFor(method, path);
  const asked = requestedScopes(c.setting);
  const inSetting = accepted.find((s) => asked.includes(s));
  const needed = inSetting ?? accepted[0] ?? 'a scope for this endpoint';
  const grantedText = granted ? ` (granted: ${granted.join(' ') || 'none'})` : '';
  const hint = inSetting
    ? `${needed} is in ${settingText(c)}, but the connection was not granted it: enable it for the Xero app and connect again`
    : `add ${needed} to ${settingText(c)} and enable it for the Xero app`;
  return new XeroScopeError(`Xero ${op} (${method} ${path}): 401 AuthorizationUnsuccessful: the connection lacks the scope ${needed}${grantedText}; ${hint}`);
}
