// /metrics for Saferpay closes, read from the database at scrape time so every replica reports the same truth.
import { Gauge, type Registry } from 'prom-client';
import type { Queryable } from '../db/sql.js';
import { saferpayStatus } from './store.js';

export function registerSaferpayMetrics(registry: Registry, ds: Queryable): void {
  new Gauge({
    name: 'erp_sync_saferpay_last_close',
    help: 'Outcome of the latest batch close per terminal (1 on the label pending, closed, already-closed, failed or config-error), with Saferpay\'s ErrorName, Behavior and HTTP status (messages are unbounded: see status)',
    labelNames: ['terminal', 'outcome', 'error_name', 'behavior', 'http_status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await saferpayStatus(ds)) {
        this.set({ terminal: s.terminalName, outcome: s.outcome, error_name: s.errorName ?? '', behavior: s.behavior ?? '', http_status: s.httpStatus === null ? '' : String(s.httpStatus) }, 1);
      }
    },
  });
  new Gauge({
    name: 'erp_sync_saferpay_last_closed_timestamp_seconds',
    help: 'When the terminal batch was last closed successfully',
    labelNames: ['terminal'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const s of await saferpayStatus(ds)) if (s.lastClosedAt) this.set({ terminal: s.terminalName }, Date.parse(s.lastClosedAt) / 1000);
    },
  });
}
