// The daemon loop: discovery when a company is due (decided from the database), workers on due batches,
// node-cron pokes at schedule times, graceful stop.
import cron, { type ScheduledTask } from 'node-cron';
import type { DataSource } from 'typeorm';
import type { CompanyConfig } from './config/schema.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';
import type { ConcurClient } from './concur/client.js';
import { claimDiscovery, companyStatuses, finishDiscovery } from './store/companies.js';
import type { Holder } from './store/claims.js';
import { countByState } from './store/batches.js';
import { discover, type DiscoveryOutcome } from './pipeline/discovery.js';
import { nextRunAfter } from './model/schedule.js';
import { Worker } from './pipeline/worker.js';
import { classify } from './pipeline/classify.js';
import type { SaferpayConfig } from './saferpay/config.js';
import { runSaferpayDue } from './saferpay/job.js';
import { sinksNeedingAttention } from './store/sink-attention.js';

export interface DaemonOptions {
  ds: DataSource;
  companies: CompanyConfig[];
  worker: Worker;
  holder: Holder;
  clientFor: (company: CompanyConfig) => Pick<ConcurClient, 'listBatches'>;
  now: () => Date;
  logger: Logger;
  metrics?: Metrics;
  /** How often due work is looked for between cron pokes. */
  pollMs: number;
  leaseMs: number;
  saferpay?: SaferpayConfig;
  /** Reads posted Xero batch payments back (Status, IsReconciled); null when no company posts to Xero. */
  xeroCheck?: (() => Promise<void>) | null;
  /** Removes stored files past their retention, and temporaries a killed process left. */
  sweepFiles?: (() => Promise<void>) | null;
  /** Evaluates the alerts and drains their outbox, every `everyMs`; null when no alert target is configured. */
  alerts?: { run: () => Promise<void>; everyMs: number } | null;
}

/** How often the periodic background jobs run (each at most once at a time). */
const PERIODIC: Record<'xero-check' | 'file-sweep', number> = { 'xero-check': 5 * 60_000, 'file-sweep': 6 * 60 * 60_000 };

export class Daemon {
  private timer: NodeJS.Timeout | null = null;
  private tasks: ScheduledTask[] = [];
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private discovering = new Map<string, Promise<void>>();
  /** Background jobs beside the batches (Saferpay closes, the Xero check): one run of each at a time. */
  private background = new Map<string, Promise<void>>();
  private lastRun: Record<keyof typeof PERIODIC | 'alerts', number> = { 'xero-check': 0, 'file-sweep': 0, alerts: 0 };

  constructor(private readonly options: DaemonOptions) {}

  start(): void {
    for (const c of this.options.companies) {
      for (const schedule of [c.concur.discovery.schedule, c.concur.close.schedule]) {
        if (schedule === 'immediate') continue;
        this.tasks.push(cron.schedule(schedule, () => this.poke(), { timezone: c.timezone, noOverlap: true, name: `${c.id}:${schedule}` }));
      }
    }
    for (const t of this.options.saferpay?.terminals ?? []) {
      this.tasks.push(cron.schedule(t.schedule, () => this.poke(), { timezone: t.timezone, noOverlap: true, name: `saferpay:${t.terminalId}` }));
    }
    this.poke();
  }

  /** Starts a background job unless its previous run is still going; failures are logged, never thrown. */
  private runInBackground(name: string, job: () => Promise<unknown>): void {
    if (this.background.has(name)) return;
    const p = job().then(
      () => undefined,
      (e: unknown) => void this.options.logger.error(`${name} crashed`, { error: e }),
    );
    this.background.set(name, p);
    void p.finally(() => this.background.delete(name));
  }

  /** Runs a pass now (or right after the current one). */
  poke(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((e: unknown) => void this.options.logger.error('daemon pass failed', { error: e }))
      .finally(() => {
        this.running = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          this.poke();
        } else {
          this.timer = setTimeout(() => this.poke(), this.options.pollMs);
        }
      });
  }

  /** One pass: discovery for every due company (in the background), then claim due batches. */
  private async pass(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    for (const c of this.options.companies) {
      if (!this.discovering.has(c.id)) {
        const p = this.discoverIfDue(c).then(
          () => undefined,
          (e: unknown) => void this.options.logger.error('discovery crashed', { company: c.id, error: e }),
        );
        void p.finally(() => this.discovering.delete(c.id));
        this.discovering.set(c.id, p);
      }
    }
    const saferpay = this.options.saferpay;
    if (saferpay?.terminals.length) {
      this.runInBackground('saferpay', () => runSaferpayDue({ ds: this.options.ds, config: saferpay, now: this.options.now, logger: this.options.logger, holder: this.options.holder }));
    }
    const alerts = this.options.alerts;
    for (const [name, job, every] of [['xero-check', this.options.xeroCheck, PERIODIC['xero-check']], ['file-sweep', this.options.sweepFiles, PERIODIC['file-sweep']], ['alerts', alerts?.run, alerts?.everyMs ?? 0]] as const) {
      const now = this.options.now().getTime();
      if (job && now - this.lastRun[name] >= every) {
        this.lastRun[name] = now;
        this.runInBackground(name, job);
      }
    }
    const claimed = await this.options.worker.tick();
    if (claimed > 0) this.again = true;
    await this.refreshGauges();
  }

  /**
   * Lists a company when its discovery is due and no other replica is listing it; `force` ignores the schedule.
   * `held`: another live process is listing it (`heldBy` names it when known).
   */
  async discoverIfDue(company: CompanyConfig, force = false): Promise<DiscoveryOutcome> {
    const now = this.options.now();
    const claim = await claimDiscovery(this.options.ds, company.id, this.options.holder, now, this.options.leaseMs, force);
    if (!claim.taken) return claim.heldBy || force ? { outcome: 'held', heldBy: claim.heldBy } : { outcome: 'not-due' };
    const log = this.options.logger.child({ company: company.id, step: 'discover' });
    let error: string | null = null;
    try {
      const r = await discover(this.options.ds, this.options.clientFor(company), company, now, log);
      // A listing that found nothing new is not news (it happens every minute against the sandbox).
      log[r.added + r.adopted > 0 ? 'info' : 'debug']('discovery done', { ...r });
      if (r.rescheduled > 0) this.again = true;
      if (r.added + r.adopted > 0) this.again = true;
    } catch (e) {
      const f = classify(e);
      error = f.message;
      this.options.metrics?.errors.inc({ step: 'discover', kind: f.kind });
      log.error('discovery failed', { error: f.message, kind: f.kind });
    } finally {
      const next = nextRunAfter(company.concur.discovery.schedule === 'immediate' ? '* * * * *' : company.concur.discovery.schedule, company.timezone, now);
      await finishDiscovery(this.options.ds, company.id, this.options.holder, next, error);
      this.options.metrics?.cycleDuration.observe({ outcome: error === null ? 'done' : 'failed' }, (this.options.now().getTime() - now.getTime()) / 1000);
    }
    return error === null ? { outcome: 'done' } : { outcome: 'failed', error };
  }

  private async refreshGauges(): Promise<void> {
    if (!this.options.metrics) return;
    this.options.metrics.batchesByState.reset();
    for (const r of await countByState(this.options.ds)) this.options.metrics.batchesByState.set({ company: r.companyId, state: r.state }, r.n);
    for (const c of await companyStatuses(this.options.ds)) this.options.metrics.tokenState.set({ company: c.id }, c.authState === 'needs_reauth' ? 1 : 0);
    this.options.metrics.sinkAttention.reset();
    for (const a of await sinksNeedingAttention(this.options.ds)) this.options.metrics.sinkAttention.set({ company: a.companyId, sink: a.sink }, 1);
  }

  /** Stops scheduling, lets steps in flight finish within the grace period, releases claims. */
  async stop(graceMs: number): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const t of this.tasks) await t.destroy();
    this.options.worker.stop();
    const settled = Promise.allSettled([this.running, ...this.discovering.values(), ...this.background.values(), this.options.worker.drain()]);
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<'timeout'>((r) => (timeout = setTimeout(() => r('timeout'), graceMs)));
    const outcome = await Promise.race([settled.then(() => 'done' as const), expired]);
    clearTimeout(timeout);
    if (outcome === 'timeout') this.options.logger.warn('grace period over; abandoning steps in flight (their claims end with this process; another run resumes them)');
  }
}
