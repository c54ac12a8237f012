// Which conditions need a person now, as a pure function of the facts in the database; and what changed against the
// alerts already open. Nothing here remembers anything: a restart (or another replica) decides the same.
import type { AlertKind } from './config.js';

export interface BatchFact {
  id: string;
  companyId: string;
  concurBatchId: string;
  name: string | null;
  state: string;
  quarantineReason: string | null;
  /** The reconciliation's failed checks (label → difference) when it is a mismatch; null otherwise. */
  mismatch: Record<string, string> | null;
}

export interface DeliveryFact {
  batchRowId: string;
  companyId: string;
  concurBatchId: string;
  sink: string;
  attempts: number;
  failingSince: Date | null;
  lastError: string | null;
}

export interface CompanyFact {
  id: string;
  authState: 'ok' | 'needs_reauth';
  authError: string | null;
  lastSuccessAt: Date | null;
  createdAt: Date;
  lastDiscoveryError: string | null;
  nextDiscoveryAt: Date | null;
}

/** A sink of a company that needs a person: a Xero connection to re-authorise, a scope missing. */
export interface SinkAuthFact {
  companyId: string;
  sink: string;
  reason: string;
}

/** The latest close of a terminal's business day that failed. */
export interface SaferpayFact {
  terminalId: string;
  terminalName: string;
  businessDay: string;
  state: 'failed' | 'config-error';
  error: string | null;
}

export interface AlertFacts {
  /** Quarantined batches and batches loaded with a reconciliation mismatch. */
  batches: BatchFact[];
  /** Deliveries whose last attempt failed, of batches not done. */
  deliveries: DeliveryFact[];
  companies: CompanyFact[];
  sinks: SinkAuthFact[];
  saferpay: SaferpayFact[];
}

export interface Thresholds {
  deliveryAttempts: number;
  deliveryMinutes: number;
  notCyclingMinutes: number;
}

/** One condition that needs a person, keyed so it is alerted once until it goes away. */
export interface Cause {
  key: string;
  kind: AlertKind;
  company: string | null;
  /** The Concur batch id. */
  batch: string | null;
  summary: string;
  reason: string;
  /** The console page (a path under the console's URL). */
  link: string;
}

/** Free text from files and remotes is cut, so every alert body stays small (see render.ts). */
export const MAX_REASON_CHARS = 1_000;
const MAX_NAME_CHARS = 200;

const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
const batchLink = (concurBatchId: string) => `/batches/${encodeURIComponent(concurBatchId)}`;
const companyLink = (id: string) => `/companies/${encodeURIComponent(id)}`;
const minutesSince = (now: Date, t: Date) => Math.floor((now.getTime() - t.getTime()) / 60_000);

function batchCauses(b: BatchFact): Cause[] {
  const named = `batch ${cut(b.concurBatchId, MAX_NAME_CHARS)}${b.name ? ` (${cut(b.name, MAX_NAME_CHARS)})` : ''} of company ${b.companyId}`;
  const base = { company: b.companyId, batch: b.concurBatchId, link: batchLink(b.concurBatchId) };
  if (b.state === 'quarantined') {
    const reason = b.quarantineReason ?? 'quarantined';
    const mismatch = reason.startsWith('reconciliation mismatch');
    return [{ ...base, key: `batch:${b.id}:quarantined`, kind: mismatch ? 'reconciliation_mismatch' : 'batch_quarantined', summary: `${mismatch ? 'Reconciliation mismatch: ' : 'Quarantined: '}${named}`, reason }];
  }
  if (!b.mismatch) return [];
  return [{ ...base, key: `batch:${b.id}:mismatch`, kind: 'reconciliation_mismatch', summary: `Reconciliation mismatch (loaded and flagged): ${named}`, reason: `reconciliation mismatch: ${JSON.stringify(b.mismatch)}` }];
}

function deliveryCause(d: DeliveryFact, t: Thresholds, now: Date): Cause | null {
  const minutes = d.failingSince ? minutesSince(now, d.failingSince) : 0;
  if (d.attempts < t.deliveryAttempts && minutes < t.deliveryMinutes) return null;
  return {
    key: `delivery:${d.batchRowId}:${d.sink}`,
    kind: 'delivery_failing',
    company: d.companyId,
    batch: d.concurBatchId,
    summary: `Delivery failing: batch ${cut(d.concurBatchId, MAX_NAME_CHARS)} of company ${d.companyId} to sink ${d.sink}`,
    reason: `${d.attempts} failed attempt(s)${d.failingSince ? ` over ${minutes} minute(s)` : ''}; last: ${d.lastError ?? 'unknown error'}`,
    link: batchLink(d.concurBatchId),
  };
}

/**
 * Not cycling: no successful listing for `notCyclingMinutes`, while the latest listing failed or one has been due
 * for that long (nobody lists it). A sparse schedule (daily) that works is not an alert between its runs.
 */
function companyCauses(c: CompanyFact, t: Thresholds, now: Date): Cause[] {
  const base = { company: c.id, batch: null, link: companyLink(c.id) };
  if (c.authState === 'needs_reauth') {
    // Its listings fail for that one reason: the re-authorisation alert says what to do; "not cycling" would repeat it.
    return [{ ...base, key: `reauth:${c.id}`, kind: 'needs_reauth', summary: `Company ${c.id} needs re-authorisation in Concur`, reason: `${c.authError ?? 'refresh token refused'}; after re-authorising, store the new token with erp-sync reauth ${c.id}` }];
  }
  const since = c.lastSuccessAt ?? c.createdAt;
  const quiet = minutesSince(now, since);
  if (quiet < t.notCyclingMinutes) return [];
  const overdue = c.nextDiscoveryAt !== null && minutesSince(now, c.nextDiscoveryAt) >= t.notCyclingMinutes;
  if (c.lastDiscoveryError === null && !overdue) return [];
  const last = c.lastSuccessAt ? `the last successful listing was ${quiet} minute(s) ago` : `no successful listing since it was configured ${quiet} minute(s) ago`;
  return [{ ...base, key: `not-cycling:${c.id}`, kind: 'not_cycling', summary: `Company ${c.id} is not cycling`, reason: `${last}; ${c.lastDiscoveryError ? `latest error: ${c.lastDiscoveryError}` : 'its listing is overdue (no process listed it)'}` }];
}

function sinkCause(s: SinkAuthFact): Cause {
  return { key: `sink:${s.companyId}:${s.sink}`, kind: 'needs_reauth', company: s.companyId, batch: null, summary: `Sink ${s.sink} of company ${s.companyId} needs a person`, reason: s.reason, link: companyLink(s.companyId) };
}

function saferpayCause(s: SaferpayFact): Cause {
  return {
    key: `saferpay:${s.terminalId}:${s.businessDay}`,
    kind: 'saferpay_close_failed',
    company: null,
    batch: null,
    summary: `Saferpay batch close of terminal ${s.terminalName} for ${s.businessDay}: ${s.state}`,
    reason: `${s.error ?? s.state}; once the cause is fixed: erp-sync saferpay close ${s.terminalName} --force`,
    link: '/saferpay',
  };
}

/** Every cause open now, with free text cut to its bound. */
export function openCauses(f: AlertFacts, t: Thresholds, now: Date): Cause[] {
  const all = [
    ...f.batches.flatMap(batchCauses),
    ...f.deliveries.map((d) => deliveryCause(d, t, now)).filter((c): c is Cause => c !== null),
    ...f.companies.flatMap((c) => companyCauses(c, t, now)),
    ...f.sinks.map(sinkCause),
    ...f.saferpay.map(saferpayCause),
  ];
  return all.map((c) => ({ ...c, summary: cut(c.summary, MAX_NAME_CHARS * 3), reason: cut(c.reason, MAX_REASON_CHARS) }));
}

/** What to announce: causes newly open, and open alerts whose cause went away. */
export function diffAlerts(open: readonly Cause[], stored: ReadonlyArray<{ cause: string }>): { opened: Cause[]; resolved: string[] } {
  const known = new Set(stored.map((s) => s.cause));
  const now = new Set(open.map((c) => c.key));
  return { opened: open.filter((c) => !known.has(c.key)), resolved: stored.map((s) => s.cause).filter((k) => !now.has(k)) };
}
