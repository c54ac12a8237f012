// The alerts at work: evaluate (facts from the database → open causes → what opened and resolved since the last
// evaluation, committed with their announcements in the outbox, under one lock) and drain the outbox to the targets
// (each target's announcements in order, retried with back-off). All state is in the database: a restart neither
// loses nor repeats an alert, and replicas share the work.
import { hostname } from 'node:os';
import type { DataSource } from 'typeorm';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import { backoffDelay, type BackoffCurve } from '../backoff.js';
import { saferpayError } from '../saferpay/error-text.js';
import type { AlertsConfig, AlertTarget } from './config.js';
import { diffAlerts, openCauses } from './causes.js';
import type { AlertEvent, AlertMessage } from './render.js';
import { sendAlert } from './send.js';
import {
  claimOutboxHead, deleteAlerts, enqueueAlerts, insertAlerts, openAlerts, readAlertFacts, removeFromOutbox, retryOutboxLater, trimOutbox, underAlertLock,
  type StoredAlert,
} from '../store/alerts.js';

/** Between attempts at one target: 5 s doubling up to 10 minutes (a receiver back after an hour gets its alerts within minutes). */
export const ALERT_BACKOFF: BackoffCurve = { baseMs: 5_000, maxMs: 10 * 60_000 };
/** Announcements sent to one target per pass before the next pass (the rest wait a few seconds). */
const PER_PASS = 100;

export interface AlertDeps {
  ds: DataSource;
  config: AlertsConfig;
  /** The console's base URL, for the links. */
  consoleUrl: string;
  /** The configured companies (companies removed from the configuration are not alerted on). */
  companies: string[];
  now: () => Date;
  logger: Logger;
  metrics?: Metrics;
  fetch?: typeof fetch;
  random?: () => number;
}

/** `alerts.consoleUrl`, else the daemon's own HTTP address (this host's name when it listens on every address). */
export function consoleUrl(config: Pick<Config, 'alerts' | 'http'>): string {
  if (config.alerts.consoleUrl) return config.alerts.consoleUrl.replace(/\/+$/, '');
  const { host, port } = config.http;
  const shown = host === '0.0.0.0' || host === '::' ? hostname() : host.includes(':') ? `[${host}]` : host;
  return `http://${shown}:${port}`;
}

function message(d: AlertDeps, a: StoredAlert, event: AlertEvent, resolvedAt: Date | null): AlertMessage {
  return {
    id: `${a.id}-${event}`,
    event,
    kind: a.kind as AlertMessage['kind'],
    cause: a.cause,
    company: a.company,
    batch: a.batch,
    summary: a.summary,
    reason: a.reason,
    link: `${d.consoleUrl}${a.link}`,
    openedAt: a.openedAt.toISOString(),
    resolvedAt: resolvedAt?.toISOString() ?? null,
  };
}

const wants = (t: AlertTarget, m: AlertMessage) => !t.events || t.events.includes(m.kind);

/** One evaluation: opens and resolves alerts and queues their announcements, atomically. */
export async function evaluateAlerts(d: AlertDeps): Promise<{ opened: number; resolved: number }> {
  const { config } = d;
  return underAlertLock(d.ds, async (m) => {
    const now = d.now();
    const raw = await readAlertFacts(m, d.companies);
    const facts = { ...raw, saferpay: raw.saferpay.map((s) => ({ ...s, error: saferpayError(s) || null })) };
    const thresholds = { deliveryAttempts: config.deliveryFailing.attempts, deliveryMinutes: config.deliveryFailing.minutes, notCyclingMinutes: config.notCyclingMinutes };
    const diff = diffAlerts(openCauses(facts, thresholds, now), await openAlerts(m));
    const opened = await insertAlerts(m, diff.opened.map(({ key, ...c }) => ({ cause: key, ...c })), now);
    const resolved = await deleteAlerts(m, diff.resolved);
    const messages = [...opened.map((a) => message(d, a, 'opened', null)), ...resolved.map((a) => message(d, a, 'resolved', now))];
    for (const msg of messages) {
      const fields = { kind: msg.kind, company: msg.company ?? undefined, batch: msg.batch ?? undefined, reason: msg.reason, link: msg.link };
      if (msg.event === 'opened') d.logger.warn(`alert: ${msg.summary}`, fields);
      else d.logger.info(`alert resolved: ${msg.summary}`, fields);
    }
    const entries = messages.flatMap((msg) => config.targets.filter((t) => wants(t, msg)).map((t) => ({ target: t.name, message: msg, bytes: Buffer.byteLength(JSON.stringify(msg)) })));
    await enqueueAlerts(m, entries, now);
    const dropped = await trimOutbox(m, config.targets.map((t) => t.name), config.outbox.maxRows, config.outbox.maxBytes);
    if (dropped.overflow.length) d.logger.warn('alert outbox full: the oldest undelivered alerts were dropped', { dropped: dropped.overflow.length, maxRows: config.outbox.maxRows, maxBytes: config.outbox.maxBytes });
    if (dropped.unconfigured.length) d.logger.warn('undelivered alerts for targets no longer configured were dropped', { dropped: dropped.unconfigured.length });
    for (const target of [...dropped.overflow, ...dropped.unconfigured]) d.metrics?.alertDeliveries.inc({ target, outcome: 'dropped' });
    return { opened: opened.length, resolved: resolved.length };
  });
}

/** Sends one target's due announcements in order until one fails (the rest wait behind it) or none is due. */
async function drainTarget(d: AlertDeps, target: AlertTarget): Promise<void> {
  const log = d.logger.child({ alertTarget: target.name });
  for (let sent = 0; sent < PER_PASS; sent++) {
    const now = d.now();
    const row = await claimOutboxHead(d.ds, target.name, now, new Date(now.getTime() + d.config.requestTimeoutMs + 30_000));
    if (!row) return;
    const msg = row.message as AlertMessage;
    const r = await sendAlert(target, msg, { timeoutMs: d.config.requestTimeoutMs, fetch: d.fetch ?? fetch, nowSeconds: Math.floor(d.now().getTime() / 1000) });
    if (r.ok) {
      await removeFromOutbox(d.ds, row.id);
      d.metrics?.alertDeliveries.inc({ target: target.name, outcome: 'delivered' });
      log.debug('alert delivered', { alert: msg.id });
      continue;
    }
    if (r.permanent) {
      await removeFromOutbox(d.ds, row.id);
      d.metrics?.alertDeliveries.inc({ target: target.name, outcome: 'rejected' });
      log.error('alert refused by its target; dropped', { alert: msg.id, summary: msg.summary, error: r.error });
      continue;
    }
    const retryAt = new Date(d.now().getTime() + backoffDelay(row.attempts, ALERT_BACKOFF, d.random));
    await retryOutboxLater(d.ds, row.id, retryAt, r.error);
    d.metrics?.alertDeliveries.inc({ target: target.name, outcome: 'failed' });
    log.warn('alert delivery failed; retried later', { alert: msg.id, attempt: row.attempts, error: r.error, retryAt: retryAt.toISOString() });
    return;
  }
}

/** Drains every target at once: a slow or dead receiver holds up only its own alerts. */
export async function drainAlerts(d: AlertDeps): Promise<void> {
  await Promise.all(d.config.targets.map((t) => drainTarget(d, t).catch((e: unknown) => d.logger.error('alert delivery crashed', { alertTarget: t.name, error: e }))));
}

/** The periodic job: evaluate, then deliver (also when the evaluation failed: what is queued still goes out). */
export async function runAlerts(d: AlertDeps): Promise<void> {
  try {
    await evaluateAlerts(d);
  } catch (e) {
    d.logger.error('alert evaluation failed', { error: e });
  }
  await drainAlerts(d);
}
