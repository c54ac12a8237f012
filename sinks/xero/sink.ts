// The Xero delivery: the batch's reports become paid ACCPAY bills through one PAYBATCH batch payment, posted once.
import type { DataSource } from 'typeorm';
import { realSleep } from '../../src/backoff.js';
import { log as rootLog, type Logger } from '../../src/log.js';
import { credentialFetch, hostsOf } from '../../src/net/credential-target.js';
import { notePending, readXeroPayment, reportLines, saveXeroError, savePosted } from './store.js';
import { type BatchToDeliver, type DeliveryReport, type Sink, SinkError, type SinkErrorCode } from '../sink.js';
import { clearSinkAttention, markSinkAttention } from '../../src/store/sink-attention.js';
import { createXeroTokens } from './auth.js';
import { answerMessage, elementResults, messagesOf, XeroClient, type Json, type XeroAnswer } from './client.js';
import type { XeroSinkConfig } from './config.js';
import { planBills, type FoundBill } from './decide.js';
import { stringifyExact } from './json.js';
import { sharedLimiter, type TenantLimiter } from './limiter.js';
import { bankAccountFor, batchPaymentBody, billsBody, billsWhere, groupReports, idempotencyKey, paymentReference, sumText, type ElementProblem, type Payable, type Report } from './mapping.js';

export interface XeroSinkDeps {
  ds: DataSource;
  logger?: Logger;
  fetch?: typeof fetch;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Default: the process-wide limiter of the tenant. */
  limiter?: TenantLimiter;
}

/** Builds the client of one company's Xero connection (also used by the follow-up check and `reverse`). */
export function createXeroClient(config: XeroSinkConfig, companyId: string, deps: XeroSinkDeps): XeroClient {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  // Credentials go only to the configured API and token hosts (over https; http only to loopback).
  const f = credentialFetch(deps.fetch ?? fetch, { service: 'Xero', trusted: hostsOf(config.apiUrl, config.tokenUrl) });
  return new XeroClient(config, {
    fetch: f,
    now,
    sleep,
    random: deps.random ?? Math.random,
    logger: deps.logger ?? rootLog,
    limiter: deps.limiter ?? sharedLimiter(config.tenantId, { concurrent: config.limits.concurrent, perMinute: config.limits.perMinute, now, sleep }),
    tokens: createXeroTokens(config, { ds: deps.ds, companyId, fetch: f, now }),
    companyId,
    attention: {
      mark: (reason) => markSinkAttention(deps.ds, companyId, config.name, reason),
      clear: () => clearSinkAttention(deps.ds, companyId, config.name),
    },
  });
}

export function createXeroSink(config: XeroSinkConfig, deps: XeroSinkDeps): Sink {
  return {
    name: config.name,
    deliver: async (batch) => {
      const logger = (deps.logger ?? rootLog).child({ sink: config.name, company: batch.company, batchId: batch.concurBatchId });
      try {
        const client = createXeroClient(config, batch.company, { ...deps, logger });
        return await deliverBatch(config, deps.ds, client, logger, batch);
      } catch (error) {
        const e = error instanceof SinkError ? error : new SinkError('remote-failure', error instanceof Error ? error.message : String(error), undefined, { cause: error });
        logger.error('Xero delivery failed', { code: e.code, retryable: e.retryable, error: e.message });
        return { sink: config.name, ok: false, files: [], error: e };
      }
    },
  };
}

/** Thrown inside a delivery: problems of named elements (reports, bills, payments), never retried as they are. */
class ElementsError extends SinkError {
  constructor(code: SinkErrorCode, what: string, problems: readonly ElementProblem[]) {
    super(code, `${what}: ${problems.map((p) => p.message).join('; ')}`);
  }
}

async function deliverBatch(config: XeroSinkConfig, ds: DataSource, client: XeroClient, logger: Logger, batch: BatchToDeliver): Promise<DeliveryReport> {
  const ok = (): DeliveryReport => ({ sink: config.name, ok: true, files: [] });
  const { batchRowId } = batch;
  const stored = await readXeroPayment(ds, batchRowId, config.name);
  if (stored?.batchPaymentId && stored.status !== 'DELETED') {
    logger.info('Xero batch payment already posted', { batchPaymentId: stored.batchPaymentId });
    return ok();
  }
  const grouped = groupReports(await reportLines(ds, batch.company, batchRowId), config);
  if (grouped.problems.length) throw new ElementsError('config', 'the batch cannot be mapped to Xero bills', grouped.problems);
  if (grouped.skipped.length) logger.info('reports with nothing owed are not paid', { reports: grouped.skipped });
  if (grouped.reports.length === 0) {
    logger.info('nothing owed to employees in this batch: no batch payment');
    return ok();
  }
  // Decided before anything is written: a batch whose currency has no bank account is quarantined untouched.
  const bank = bankAccountFor(grouped.reports, config);
  if ('problem' in bank) throw new SinkError('config', `batch ${batch.company}/${batch.concurBatchId}: ${bank.problem}`);
  const reference = paymentReference(batch);
  const generation = await notePending(ds, { batchRowId, sink: config.name, companyId: batch.company, tenantId: config.tenantId, reference });
  const total = sumText(grouped.reports.map((r) => r.total));
  try {
    const existing = await findOurBatchPayment(client, reference);
    if (existing) {
      logger.info('Xero batch payment found by its reference; adopting it', { batchPaymentId: existing.BatchPaymentID });
      await savePosted(ds, { batchRowId, sink: config.name, batchPaymentId: String(existing.BatchPaymentID), total, status: String(existing.Status ?? 'AUTHORISED'), bills: [] });
      return ok();
    }
    const payables = await payableBills(config, client, logger, batch, grouped.reports, generation);
    const body = stringifyExact(batchPaymentBody(batch, batch.closeDate, bank.account, payables));
    const answer = await client.call('create batch payment', 'PUT', '/BatchPayments', {
      query: { summarizeErrors: 'false' },
      body,
      idempotencyKey: idempotencyKey(batch.company, batch.concurBatchId, `batchpayment-g${generation}`, body),
    });
    const created = createdBatchPayment(answer, payables);
    await savePosted(ds, { batchRowId, sink: config.name, batchPaymentId: created.id, total, status: created.status, bills: payables });
    logger.info('Xero batch payment posted', { batchPaymentId: created.id, total, payments: payables.length });
    return ok();
  } catch (error) {
    if (error instanceof SinkError) await saveXeroError(ds, batchRowId, config.name, error.message);
    throw error;
  }
}

async function findOurBatchPayment(client: XeroClient, reference: string): Promise<Json | null> {
  const answer = await client.call('find batch payment', 'GET', '/BatchPayments', { query: { where: `Reference=="${reference}"` } });
  if (answer.status !== 200) throw new SinkError('remote-failure', `Xero find batch payment: ${answerMessage(answer)}`);
  const list = Array.isArray(answer.json.BatchPayments) ? (answer.json.BatchPayments as Json[]) : [];
  return list.find((p) => p.Reference === reference && p.Type !== 'RECBATCH' && p.Status !== 'DELETED') ?? null;
}

/** Every report's bill, found (by invoice number = report id) or created; any report that cannot be paid fails the batch. */
async function payableBills(config: XeroSinkConfig, client: XeroClient, logger: Logger, batch: BatchToDeliver, reports: Report[], generation: number): Promise<Payable[]> {
  const found = await findBills(client, reports.map((r) => r.reportId), config.limits.lookupChunk);
  const plan = planBills(reports, found, config.createBills);
  if (plan.problems.length) throw new ElementsError('config', 'bills cannot be paid', plan.problems);
  if (plan.create.length === 0) return plan.pay;
  const { invoices, problems } = billsBody(plan.create, config, batch.closeDate);
  if (problems.length) throw new ElementsError('config', 'bills cannot be created', problems);
  const created: FoundBill[] = [];
  const rejected: ElementProblem[] = [];
  for (let i = 0; i < invoices.length; i += config.limits.createChunk) {
    const chunk = stringifyExact({ Invoices: invoices.slice(i, i + config.limits.createChunk) });
    const answer = await client.call('create bills', 'PUT', '/Invoices', {
      query: { summarizeErrors: 'false' },
      body: chunk,
      idempotencyKey: idempotencyKey(batch.company, batch.concurBatchId, `bills-g${generation}`, chunk),
    });
    const elements = elementResults(answer, 'Invoices');
    if (answer.status === 400 && elements.length === 0) rejected.push({ reportId: null, message: `Xero refused the bills: ${answerMessage(answer)}` });
    for (const e of elements) {
      const reportId = plan.create[i + e.index]?.reportId ?? String(e.element.InvoiceNumber);
      if (e.errors.length || answer.status === 400) rejected.push({ reportId, message: `bill for report ${reportId}: ${e.errors.join(' ') || 'rejected with its batch'}` });
      else created.push(e.element as unknown as FoundBill);
    }
  }
  if (rejected.length) throw new ElementsError('conflict', 'Xero rejected bills', rejected);
  logger.info('Xero bills created', { bills: created.map((b) => ({ report: b.InvoiceNumber, invoiceId: b.InvoiceID })) });
  const second = planBills(plan.create, created, false);
  if (second.problems.length) throw new ElementsError('conflict', 'created bills cannot be paid', second.problems);
  return [...plan.pay, ...second.pay];
}

async function findBills(client: XeroClient, reportIds: string[], chunkSize: number): Promise<FoundBill[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < reportIds.length; i += chunkSize) chunks.push(reportIds.slice(i, i + chunkSize));
  // Concurrent; the tenant limiter keeps it within Xero's limits.
  const answers = await Promise.all(chunks.map((ids) => client.call('find bills', 'GET', '/Invoices', { query: { where: billsWhere(ids) } })));
  return answers.flatMap((a) => {
    if (a.status !== 200) throw new SinkError('remote-failure', `Xero find bills: ${answerMessage(a)}`);
    return Array.isArray(a.json.Invoices) ? (a.json.Invoices as unknown as FoundBill[]) : [];
  });
}

function createdBatchPayment(answer: XeroAnswer, payables: readonly Payable[]): { id: string; status: string } {
  const [element] = elementResults(answer, 'BatchPayments');
  if (!element) throw new SinkError(answer.status === 400 ? 'conflict' : 'remote-failure', `Xero create batch payment: ${answerMessage(answer)}`);
  const problems: ElementProblem[] = element.errors.map((m) => ({ reportId: null, message: `batch payment: ${m}` }));
  const payments = Array.isArray(element.element.Payments) ? (element.element.Payments as Json[]) : [];
  payments.forEach((p, i) => {
    const messages = messagesOf(p.ValidationErrors);
    const reportId = payables[i]?.reportId ?? null;
    for (const m of messages) problems.push({ reportId, message: `payment for report ${reportId ?? `#${i + 1}`}: ${m}` });
  });
  if (problems.length || answer.status === 400) throw new ElementsError('conflict', 'Xero rejected the batch payment', problems.length ? problems : [{ reportId: null, message: answerMessage(answer) }]);
  if (typeof element.element.BatchPaymentID !== 'string') throw new SinkError('remote-failure', 'Xero create batch payment: the answer lacks a BatchPaymentID');
  return { id: element.element.BatchPaymentID, status: String(element.element.Status ?? 'AUTHORISED') };
}
