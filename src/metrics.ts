// Prometheus metrics: one registry per daemon, so tests and replicas in one process don't share counters.
// Counters count what this process did; gauges read from the database at scrape time report the same truth on
// every replica (and right after a restart).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queryable } from './db/sql.js';
import { openBatchAge } from './store/batches.js';
import { companyStatuses } from './store/companies.js';
import { failingDeliveries } from './store/deliveries.js';
import { openAlertsByKind, pendingAlerts } from './store/alerts.js';

export function createMetrics() {
  const registry = new Registry();
  // prom-client's default names already start with process_ / nodejs_: the prefix is ours alone.
  collectDefaultMetrics({ register: registry, prefix: 'erp_sync_' });
  return {
    registry,
    batchesByState: new Gauge({ name: 'erp_sync_batches', help: 'Batches by company and state', labelNames: ['company', 'state'], registers: [registry] }),
    stepDuration: new Histogram({
      name: 'erp_sync_step_duration_seconds',
      help: 'Duration of pipeline steps',
      labelNames: ['step', 'outcome'],
      buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [registry],
    }),
    cycleDuration: new Histogram({
      name: 'erp_sync_cycle_duration_seconds',
      help: "Duration of a company's cycle (listing its Concur batches), by outcome",
      labelNames: ['outcome'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300],
      registers: [registry],
    }),
    errors: new Counter({ name: 'erp_sync_errors_total', help: 'Errors by step and kind', labelNames: ['step', 'kind'], registers: [registry] }),
    rowsLoaded: new Counter({ name: 'erp_sync_rows_loaded_total', help: 'Transaction rows loaded', labelNames: ['company'], registers: [registry] }),
    reconciliations: new Counter({
      name: 'erp_sync_reconciliations_total',
      help: 'Batch loads by reconciliation status (reconciled, mismatch)',
      labelNames: ['company', 'status'],
      registers: [registry],
    }),
    bytesDelivered: new Counter({ name: 'erp_sync_bytes_delivered_total', help: 'Bytes delivered by sink', labelNames: ['sink'], registers: [registry] }),
    deliveryFailures: new Counter({
      name: 'erp_sync_delivery_failures_total',
      help: 'Failed delivery attempts by company and sink',
      labelNames: ['company', 'sink'],
      registers: [registry],
    }),
    tokenState: new Gauge({ name: 'erp_sync_company_needs_reauth', help: '1 when the company needs re-authorisation', labelNames: ['company'], registers: [registry] }),
    sinkAttention: new Gauge({ name: 'erp_sync_sink_needs_attention', help: "1 while a company's sink needs a person (e.g. a Xero scope missing)", labelNames: ['company', 'sink'], registers: [registry] }),
    alertDeliveries: new Counter({
      name: 'erp_sync_alert_deliveries_total',
      help: 'Alert delivery attempts by target and outcome (delivered, failed: retried later, rejected: refused for good, dropped: outbox bound)',
      labelNames: ['target', 'outcome'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Gauges computed from the database when /metrics is scraped. */
export function registerDatabaseMetrics(registry: Registry, db: Queryable): void {
  new Gauge({
    name: 'erp_sync_last_successful_cycle_timestamp_seconds',
    help: "End of the company's last successful cycle (listing), by any replica",
    labelNames: ['company'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const c of await companyStatuses(db)) if (c.lastSuccessAt) this.set({ company: c.id }, c.lastSuccessAt.getTime() / 1000);
    },
  });
  new Gauge({
    name: 'erp_sync_queue_age_seconds',
    help: "Age of the company's oldest batch not yet done or quarantined (0 when none is open)",
    labelNames: ['company'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await openBatchAge(db)) this.set({ company: r.companyId }, r.seconds);
    },
  });
  new Gauge({
    name: 'erp_sync_deliveries_failing',
    help: 'Deliveries whose last attempt failed (being retried), by company and sink',
    labelNames: ['company', 'sink'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await failingDeliveries(db)) this.set({ company: r.companyId, sink: r.sink }, r.n);
    },
  });
  registerAlertMetrics(registry, db);
}

function registerAlertMetrics(registry: Registry, db: Queryable): void {
  new Gauge({
    name: 'erp_sync_alerts_pending',
    help: 'Alert announcements not yet delivered, by target',
    labelNames: ['target'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await pendingAlerts(db)) this.set({ target: r.target }, r.n);
    },
  });
  new Gauge({
    name: 'erp_sync_alerts_oldest_pending_seconds',
    help: 'Age of the oldest alert announcement not yet delivered, by target (absent when none waits)',
    labelNames: ['target'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await pendingAlerts(db)) this.set({ target: r.target }, r.oldestSeconds);
    },
  });
  new Gauge({
    name: 'erp_sync_alerts_open',
    help: 'Open alerts (a cause announced and not yet resolved), by kind',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await openAlertsByKind(db)) this.set({ kind: r.kind }, r.n);
    },
  });
}
