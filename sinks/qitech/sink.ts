// The `qitech-settlement` sink: per loaded batch one QI Tech payment batch, one settlement per payment
// demand (Concur report), then insertion closed. Every id is derived, so a retry or a fresh process after
// a crash meets its own earlier writes as duplicates (SET000009, SET000013), reads them back and goes on.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { DataSource } from 'typeorm';
import { log as rootLog, registerSecret, type Logger } from '../../src/log.js';
import { demandRows, recordDiscarded, savedSettlements, savePaymentBatch, saveSettlement } from './store.js';
import { backingOff, backoffOf, withRetries, type Sleep } from '../../src/backoff.js';
import type { BatchToDeliver, DeliveryReport, Sink } from '../sink.js';
import { SinkError } from '../sink.js';
import { UntrustedTargetError } from '../../src/net/credential-target.js';
import { BATCH_WITHOUT_SETTLEMENTS, DUPLICATE_BATCH, DUPLICATE_SETTLEMENT, type Fetch, QiTechApiError, QiTechClient, QiTechTransportError, type RemoteBatch } from './client.js';
import type { QiTechSinkConfig } from './config.js';
import { batchExternalId, createBatchBody, PlanError, planSettlements, type PlannedSettlement, sameAmount, settlementBody } from './plan.js';

export interface QiTechSinkDeps {
  ds: DataSource;
  logger?: Logger;
  fetch?: Fetch;
  now?: () => Date;
  sleep?: Sleep;
  random?: () => number;
}

const OPEN = 'pending_settlements_insertion';
const BATCH_NOT_FOUND = 'SET000010';

export function createQiTechSink(config: QiTechSinkConfig, deps: QiTechSinkDeps): Sink {
  registerSecret(config.apiClientKey);
  let key: Promise<KeyObject> | undefined;
  const privateKey = () => (key ??= readFile(config.privateKeyPath, 'utf8').then((pem) => createPrivateKey(pem)));
  return {
    name: config.name,
    async deliver(batch) {
      const logger = (deps.logger ?? rootLog).child({ sink: config.name, company: batch.company, batchId: batch.concurBatchId });
      let client: QiTechClient;
      try {
        client = new QiTechClient({
          baseUrl: config.baseUrl,
          apiClientKey: config.apiClientKey,
          fundClassKey: config.fundClassKey,
          privateKey: await privateKey(),
          timeoutMs: config.requestTimeoutMs,
          fetch: deps.fetch,
          now: deps.now,
        });
      } catch (error) {
        key = undefined; // an operator may fix the file; read it again next time
        return failed(config, logger, new SinkError('config', `private key ${config.privateKeyPath}: ${messageOf(error)}`, undefined, { cause: error }));
      }
      return new Delivery(config, deps, client, logger, batch).run();
    },
  };
}

function failed(config: QiTechSinkConfig, logger: Logger, error: SinkError): DeliveryReport {
  logger.error('QI Tech delivery failed', { code: error.code, retryable: error.retryable, error: error.message });
  return { sink: config.name, ok: false, files: [], error };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A settlement QI Tech holds under our id with another amount: never "fixed" silently. */
class ConflictError extends Error {
  override readonly name = 'ConflictError';
}

function toSinkError(error: unknown): SinkError {
  if (error instanceof SinkError) return error;
  const opts = { cause: error };
  if (error instanceof UntrustedTargetError) return new SinkError('config', error.message, undefined, opts);
  if (error instanceof QiTechTransportError) return new SinkError(error.timedOut ? 'timeout' : 'connect', error.message, undefined, opts);
  if (error instanceof QiTechApiError) {
    if (error.transient) return new SinkError('remote-failure', error.message, undefined, opts);
    if (error.status === 401 || error.status === 403) return new SinkError('auth', error.message, undefined, opts);
    // QI Tech refused what we sent (validation, state): the same request will be refused again.
    return new SinkError('config', error.message, undefined, opts);
  }
  if (error instanceof ConflictError) return new SinkError('conflict', error.message, undefined, opts);
  if (error instanceof PlanError) return new SinkError('config', error.message, undefined, opts);
  return new SinkError('remote-failure', messageOf(error), undefined, opts);
}

const hasCode = (error: unknown, code: string) => error instanceof QiTechApiError && error.code === code;

class Delivery {
  private readonly externalId: string;

  constructor(
    private readonly config: QiTechSinkConfig,
    private readonly deps: QiTechSinkDeps,
    private readonly client: QiTechClient,
    private readonly logger: Logger,
    private readonly batch: BatchToDeliver,
  ) {
    this.externalId = batchExternalId(batch.company, batch.concurBatchId);
  }

  async run(): Promise<DeliveryReport> {
    const { ds } = this.deps;
    const { batchRowId } = this.batch;
    let remote: RemoteBatch | null = null;
    try {
      const { settlement } = this.config;
      const plan = planSettlements(this.batch.company, this.batch.concurBatchId, await demandRows(ds, batchRowId, { contract: settlement.contractNumberField, installment: settlement.installmentNumberField }));
      if (plan.skipped.length) this.logger.info('QI Tech: reports paying nothing are left out', { reports: plan.skipped });
      if (plan.settlements.length === 0) return await this.nothingToPay(batchRowId);

      remote = await this.createOrRead();
      await this.save(batchRowId, remote);
      if (remote.status === 'discarded') throw new ConflictError(`payment batch ${this.externalId} was discarded earlier; it cannot be reused`);
      if (remote.status !== OPEN) {
        // Closed by an earlier attempt whose end we did not see: every settlement went in before the close.
        for (const s of plan.settlements) await this.saveSettlement(s, 'inserted');
        this.logger.info('QI Tech payment batch already closed', { externalId: this.externalId, status: remote.status });
        return { sink: this.config.name, ok: true, files: [] };
      }
      const known = await savedSettlements(ds, this.externalId);
      for (const s of plan.settlements) if (!known.has(s.externalId)) await this.insert(s);
      const closed = await this.close();
      await this.save(batchRowId, closed);
      this.logger.info('QI Tech payment batch closed', { externalId: this.externalId, settlements: plan.settlements.length, status: closed.status });
      return { sink: this.config.name, ok: true, files: [] };
    } catch (error) {
      const sinkError = toSinkError(error);
      if (remote?.status === OPEN && !sinkError.retryable && sinkError.code !== 'auth' && this.config.discardOnPermanentFailure) {
        await this.discard(batchRowId, sinkError.message);
      }
      return failed(this.config, this.logger, sinkError);
    }
  }

  private retrying<T>(fn: () => Promise<T>): Promise<T> {
    const transient = (e: unknown) => e instanceof QiTechTransportError || (e instanceof QiTechApiError && e.transient);
    return withRetries(fn, backingOff(backoffOf(this.config.retries), transient, this.deps.random), this.deps.sleep);
  }

  private async save(batchRowId: string, remote: { status: string; payment_batch_key?: unknown }): Promise<void> {
    await savePaymentBatch(this.deps.ds, {
      batchRowId,
      sink: this.config.name,
      companyId: this.batch.company,
      fundClassKey: this.config.fundClassKey,
      externalId: this.externalId,
      status: remote.status,
      paymentBatchKey: typeof remote.payment_batch_key === 'string' ? remote.payment_batch_key : null,
    });
  }

  private saveSettlement(s: PlannedSettlement, status: string): Promise<void> {
    return saveSettlement(this.deps.ds, { paymentBatchExternalId: this.externalId, externalId: s.externalId, reportId: s.reportId, totalValue: s.totalValue, status });
  }

  private async createOrRead(): Promise<RemoteBatch> {
    const body = createBatchBody(this.config, this.externalId, `${this.batch.batchName} (${this.batch.company} ${this.batch.concurBatchId})`, this.batch.closeDate);
    try {
      return await this.retrying(() => this.client.createBatch(body));
    } catch (error) {
      if (!hasCode(error, DUPLICATE_BATCH)) throw error;
      this.logger.info('QI Tech payment batch exists already, reading it back', { externalId: this.externalId });
      return this.retrying(() => this.client.getBatch(this.externalId));
    }
  }

  private async insert(s: PlannedSettlement): Promise<void> {
    const body = settlementBody(s, this.config.settlement);
    let status: string;
    try {
      const answer = await this.retrying(() => this.client.insertSettlement(this.externalId, body));
      status = answer.status ?? 'inserted';
    } catch (error) {
      if (!hasCode(error, DUPLICATE_SETTLEMENT)) throw error;
      const existing = await this.retrying(() => this.client.getSettlement(this.externalId, s.externalId));
      if (!sameAmount(existing.total_value, s.totalValue)) {
        throw new ConflictError(`settlement ${s.externalId} (report ${s.reportId}) exists with total_value ${String(existing.total_value)}, ours is ${s.totalValue}`);
      }
      status = existing.status ?? 'inserted';
    }
    await this.saveSettlement(s, status);
  }

  /** Closes insertion; when the answer was lost and the retry is refused, the batch's state decides. */
  private async close(): Promise<{ status: string }> {
    try {
      return await this.retrying(() => this.client.setBatchStatus(this.externalId, 'pending_payment'));
    } catch (error) {
      if (!(error instanceof QiTechApiError) || error.transient || hasCode(error, BATCH_WITHOUT_SETTLEMENTS)) throw error;
      const now = await this.retrying(() => this.client.getBatch(this.externalId));
      if (now.status === OPEN || now.status === 'discarded') throw error;
      return now;
    }
  }

  /** No payment demand to pay: QI Tech refuses to close an empty batch (SET000017), so none is created. */
  private async nothingToPay(batchRowId: string): Promise<DeliveryReport> {
    const existing = await this.retrying(() => this.client.getBatch(this.externalId)).catch((error: unknown) => {
      if (hasCode(error, BATCH_NOT_FOUND)) return null;
      throw error;
    });
    if (existing?.status === OPEN) {
      await this.save(batchRowId, existing);
      await this.discard(batchRowId, 'no payment demand with an amount to pay');
    }
    this.logger.info('QI Tech: nothing to pay in this batch, no payment batch created', { externalId: this.externalId });
    return { sink: this.config.name, ok: true, files: [] };
  }

  private async discard(batchRowId: string, reason: string): Promise<void> {
    try {
      await this.retrying(() => this.client.setBatchStatus(this.externalId, 'discarded'));
    } catch (error) {
      this.logger.error('QI Tech: discarding the payment batch failed', { externalId: this.externalId, error: messageOf(error) });
      return;
    }
    await recordDiscarded(this.deps.ds, { batchRowId, sink: this.config.name, companyId: this.batch.company, externalId: this.externalId, fromStatus: OPEN, reason });
    this.logger.warn('QI Tech payment batch discarded', { externalId: this.externalId, reason });
  }
}
