// Runs due batches one step at a time: claim → commit that the step begins → step side effect → commit the
// transition → release. A batch whose step was begun before without finishing runs alone (see tick).
import type { DataSource } from 'typeorm';
import type { CompanyConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import type { Queryable } from '../db/sql.js';
import { beginStep, claimDue, commitTransition, LostClaimError, releaseClaim, renewClaim, type BatchRow, type CommitOptions } from '../store/batches.js';
import type { Holder } from '../store/claims.js';
import { closeIntent, transition, unfinishedStarts, type Outcome, type Policy } from './machine.js';
import type { Transition } from '../model/transition.js';
import { stepFor, TERMINAL_STATES, type Step } from '../model/batch-state.js';
import { classify } from './classify.js';
import { faultPoint } from '../faults.js';
import { closeNotDueUntil } from './close-due.js';

export interface StepContext {
  batch: BatchRow;
  company: CompanyConfig;
  now: () => Date;
  logger: Logger;
  /** Computes and commits the transition for an outcome inside the caller's own transaction (the load step). */
  commitWithin(db: Queryable, outcome: Outcome): Promise<Transition>;
}

export type StepResult = Outcome | { kind: 'committed'; transition: Transition };
export type StepHandlers = Record<Step, (ctx: StepContext) => Promise<StepResult>>;

export interface WorkerOptions {
  ds: DataSource;
  handlers: StepHandlers;
  companies: CompanyConfig[];
  policyFor: (company: CompanyConfig) => Policy;
  holder: Holder;
  now: () => Date;
  logger: Logger;
  metrics?: Metrics;
  leaseMs: number;
  globalConcurrency: number;
  perCompanyConcurrency: number;
  /** A step begun this many times without finishing (the process died each time) quarantines its batch. */
  maxUnfinishedStarts: number;
}

/** A quarantine needs a person: it shows at LOG_LEVEL=warn. */
const levelOf = (t: Transition): 'warn' | 'info' => (t.state === 'quarantined' ? 'warn' : 'info');
const reasonOf = (t: Transition) => (t.set.quarantineReason ? { reason: t.set.quarantineReason } : {});

export class Worker {
  private inFlight = new Set<Promise<void>>();
  private readonly companies: Map<string, CompanyConfig>;
  private stopping = false;
  /** A batch whose step was interrupted before runs alone: if it kills the process again, no other batch's step dies with it. */
  private isolated = false;

  constructor(private readonly options: WorkerOptions) {
    this.companies = new Map(options.companies.map((c) => [c.id, c]));
  }

  /** Claims what is due up to the free capacity and starts it; resolves once claimed (not when finished). */
  async tick(): Promise<number> {
    const free = this.options.globalConcurrency - this.inFlight.size;
    if (free <= 0 || this.stopping || this.isolated) return 0;
    const claim = (limit: number, suspects: boolean) =>
      claimDue(this.options.ds, {
        holder: this.options.holder, now: this.options.now(), leaseMs: this.options.leaseMs, limit, perCompany: this.options.perCompanyConcurrency,
        companies: [...this.companies.keys()], suspects,
      });
    if (this.inFlight.size === 0) {
      const [suspect] = await claim(1, true);
      if (suspect) {
        this.isolated = true;
        this.start(suspect, () => (this.isolated = false));
        return 1;
      }
    }
    const claimed = await claim(free, false);
    for (const batch of claimed) this.start(batch);
    return claimed.length;
  }

  private start(batch: BatchRow, done?: () => void): void {
    const p: Promise<void> = this.drive(batch).finally(() => {
      this.inFlight.delete(p);
      done?.();
    });
    this.inFlight.add(p);
  }

  /** Waits for the steps in flight (used by run-once and at shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.allSettled([...this.inFlight]);
  }

  /** Stops claiming; steps in flight finish (their claims are released as they do). */
  stop(): void {
    this.stopping = true;
  }

  /** Runs steps on one claimed batch while it stays due, then releases the claim. */
  private async drive(initial: BatchRow): Promise<void> {
    let batch: BatchRow | null = initial;
    /** The batch's claim went with its last transition (a terminal state). */
    let released = false;
    const company = this.companies.get(initial.companyId);
    const log = this.options.logger.child({ company: initial.companyId, batch: initial.concurBatchId });
    try {
      // A claimed row's step start is yet to be counted; a row this worker committed names a step only when the
      // commit counted that step's start (see commitOptions).
      for (let begun = false; batch && company && !this.stopping; begun = batch?.stepStarted != null) {
        const next: BatchRow | null = await this.runOne(batch, company, log, begun);
        released = next !== null && TERMINAL_STATES.includes(next.state);
        batch = next && next.nextAttemptAt && next.nextAttemptAt.getTime() <= this.options.now().getTime() ? next : null;
      }
    } catch (e) {
      if (e instanceof LostClaimError) log.warn('claim lost; another worker has the batch', { error: e.message });
      else log.error('step crashed', { error: e });
    } finally {
      if (!released) await releaseClaim(this.options.ds, initial.id, this.options.holder).catch((e) => log.error('releasing claim failed', { error: e }));
    }
  }

  /**
   * What a commit also does, to save a statement each: a terminal transition releases the claim; one this worker
   * goes on from at once counts the next step's start (as beginStep would just after). A stop() that comes between
   * such a commit and the next step leaves that count one ahead: the batch runs alone at the next start, as a suspect.
   */
  private commitOptions(t: Transition): CommitOptions {
    if (TERMINAL_STATES.includes(t.state)) return { release: true };
    const due = t.nextAttemptAt !== null && t.nextAttemptAt.getTime() <= this.options.now().getTime();
    return { begins: due && !this.stopping ? stepFor(t.state) : null };
  }

  private async runOne(batch: BatchRow, company: CompanyConfig, log: Logger, begun: boolean): Promise<BatchRow | null> {
    const step = stepFor(batch.state);
    if (!step) return null;
    const policy = this.options.policyFor(company);
    const slog = log.child({ step });
    // The next step sees every column the transition set (reconciliation, times, URL): the row as committed.
    const commit = async (db: Queryable, from: BatchRow, t: Transition, o: CommitOptions = this.commitOptions(t)) => {
      const committed = await commitTransition(db, from, this.options.holder, t, step, o);
      this.count(company, t);
      // A close that is not yet due is looked at again every listing: not a new fact each time.
      const level = t.event === 'close_deferred' ? 'debug' : levelOf(t);
      slog[level](`${from.state} → ${t.state}`, { event: t.event, ...(t.lastError ? { error: t.lastError } : reasonOf(t)), ...(t.nextAttemptAt && t.state === from.state ? { retryAt: t.nextAttemptAt.toISOString() } : {}) });
      return committed;
    };

    let current = batch;
    if (step === 'close') {
      const due = closeNotDueUntil(batch, company, this.options.now());
      if (due) return commit(this.options.ds, batch, transition(batch, step, { kind: 'close_not_due', nextDueAt: due }, this.options.now(), policy));
      // Committed before the request: a crash after this point never sends a second close in this window.
      current = await commit(this.options.ds, batch, closeIntent(this.options.now()), { begins: step });
      faultPoint('close:after-intent');
      begun = true;
    }

    if (!begun) {
      // A step that never finished N times in a row is a poison pill: quarantined (its file kept) instead of a crash loop.
      const poisoned = unfinishedStarts(current, step, this.options.maxUnfinishedStarts);
      if (poisoned) {
        this.options.metrics?.errors.inc({ step, kind: 'unfinished' });
        return commit(this.options.ds, current, transition(current, step, poisoned, this.options.now(), policy));
      }
      await beginStep(this.options.ds, current, this.options.holder, step);
    }

    const heartbeat = setInterval(() => {
      void renewClaim(this.options.ds, batch.id, this.options.holder, this.options.now(), this.options.leaseMs).catch(() => undefined);
    }, Math.max(1000, this.options.leaseMs / 3));
    const started = process.hrtime.bigint();
    let result: StepResult;
    /** The row as the step's own transaction committed it (the load step). */
    const within: { row: BatchRow | null } = { row: null };
    try {
      result = await this.options.handlers[step]({
        batch: current,
        company,
        now: this.options.now,
        logger: slog,
        commitWithin: async (db, outcome) => {
          const t = transition(current, step, outcome, this.options.now(), policy);
          within.row = await commitTransition(db, current, this.options.holder, t, step, this.commitOptions(t));
          return t;
        },
      });
    } catch (e) {
      if (e instanceof LostClaimError) throw e;
      const error = classify(e);
      this.options.metrics?.errors.inc({ step, kind: error.kind });
      result = { kind: 'failed', error };
    } finally {
      clearInterval(heartbeat);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    this.options.metrics?.stepDuration.observe({ step, outcome: result.kind }, seconds);
    faultPoint(`step:${step}:before-commit`);
    if (result.kind === 'committed') {
      const t = result.transition;
      this.count(company, t);
      slog[levelOf(t)](`${current.state} → ${t.state}`, { event: t.event, ...reasonOf(t) });
      faultPoint(`step:${step}:after-commit`);
      if (!within.row) throw new Error(`step ${step} reported a transition it did not commit through commitWithin`);
      return within.row;
    }
    const next = await commit(this.options.ds, current, transition(current, step, result, this.options.now(), policy));
    faultPoint(`step:${step}:after-commit`);
    return next;
  }

  /** Metrics of a committed transition: rows loaded, and every reconciliation by its status. */
  private count(company: CompanyConfig, t: Transition): void {
    if (t.event === 'loaded') this.options.metrics?.rowsLoaded.inc({ company: company.id }, Number(t.detail.rows ?? 0));
    if (t.set.reconciliation) this.options.metrics?.reconciliations.inc({ company: company.id, status: t.set.reconciliation.status });
  }
}
