// The sandbox's books: payment batches and their settlements per fund, with QI Tech's rules and errors.
import { randomUUID } from 'node:crypto';
import { qiErrors, type QiError } from './errors.js';

export interface SandboxSettlement {
  external_id: string;
  asset_type: string;
  settlement_type: string;
  /** As sent: the JSON number's text, e.g. "1234.50". */
  total_value: string;
  contract_number?: string;
  installment_number?: number;
  collection_origin_type?: string;
  status: string;
}

export interface SandboxPaymentBatch {
  fund: string;
  external_id: string;
  payment_batch_key: string;
  description?: string;
  reference_date?: string;
  account_key?: string;
  account?: Record<string, string>;
  status: 'pending_settlements_insertion' | 'pending_payment' | 'paid' | 'discarded';
  settlements: Map<string, SandboxSettlement>;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: QiError };
const ok = <T>(value: T): Result<T> => ({ ok: true, value });
const fail = <T>(error: QiError): Result<T> => ({ ok: false, error });

const OPEN = 'pending_settlements_insertion';

/** A JSON number with at most two decimals, read from the raw body text (JSON.parse would hide "1.005"). */
const TOTAL_VALUE = /"total_value"\s*:\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"[^"]*"|null|true|false)/;

function str(o: Record<string, unknown>, field: string, max: number, required: boolean): Result<string | undefined> {
  const v = o[field];
  if (v === undefined || v === null) return required ? fail(qiErrors.invalidField(field, 'is required')) : ok(undefined);
  if (typeof v !== 'string' || v.length === 0) return fail(qiErrors.invalidField(field, 'must be a non-empty string'));
  if (v.length > max) return fail(qiErrors.invalidField(field, `longer than ${max} characters`));
  return ok(v);
}

export class QiTechState {
  readonly batches = new Map<string, SandboxPaymentBatch>();

  private key(fund: string, id: string): string {
    return `${fund}\u0000${id}`;
  }

  batch(fund: string, idOrKey: string): SandboxPaymentBatch | undefined {
    return this.batches.get(this.key(fund, idOrKey)) ?? [...this.batches.values()].find((b) => b.fund === fund && b.payment_batch_key === idOrKey);
  }

  /** Every batch with this external id, whatever the fund (for test controls). */
  byExternalId(id: string): SandboxPaymentBatch | undefined {
    return [...this.batches.values()].find((b) => b.external_id === id);
  }

  create(fund: string, body: Record<string, unknown>): Result<SandboxPaymentBatch> {
    const id = str(body, 'external_id', 50, true);
    if (!id.ok) return fail(id.error);
    const description = str(body, 'description', 255, false);
    if (!description.ok) return fail(description.error);
    const referenceDate = str(body, 'reference_date', 40, false);
    if (!referenceDate.ok) return fail(referenceDate.error);
    if (referenceDate.value !== undefined && Number.isNaN(Date.parse(referenceDate.value))) return fail(qiErrors.invalidField('reference_date', 'is not ISO 8601'));
    const accountKey = str(body, 'account_key', 36, false);
    if (!accountKey.ok) return fail(accountKey.error);
    if (accountKey.value !== undefined && body.account !== undefined) return fail(qiErrors.invalidField('account', 'account_key and account are exclusive'));
    const account = body.account;
    if (account !== undefined) {
      const a = account as Record<string, unknown>;
      for (const f of ['account_number', 'account_digit', 'account_branch', 'financial_institution_code']) {
        if (typeof a?.[f] !== 'string') return fail(qiErrors.invalidField(`account.${f}`, 'is required'));
      }
    }
    if (this.batches.has(this.key(fund, id.value!))) return fail(qiErrors.duplicateBatch(id.value!));
    const batch: SandboxPaymentBatch = {
      fund,
      external_id: id.value!,
      payment_batch_key: randomUUID(),
      description: description.value,
      reference_date: referenceDate.value,
      account_key: accountKey.value,
      account: account as Record<string, string> | undefined,
      status: OPEN,
      settlements: new Map(),
    };
    this.batches.set(this.key(fund, batch.external_id), batch);
    return ok(batch);
  }

  insert(batch: SandboxPaymentBatch, body: Record<string, unknown>, raw: string): Result<SandboxSettlement> {
    for (const [field, max] of [
      ['external_id', 50],
      ['asset_type', 100],
      ['settlement_type', 100],
    ] as const) {
      const r = str(body, field, max, true);
      if (!r.ok) return fail(r.error);
    }
    const total = TOTAL_VALUE.exec(raw)?.[1];
    if (total === undefined) return fail(qiErrors.invalidField('total_value', 'is required'));
    if (!/^-?\d+(\.\d{1,2})?$/.test(total)) return fail(qiErrors.invalidField('total_value', `${total} is not a number with two decimals`));
    if (!(Number(total) > 0)) return fail(qiErrors.invalidField('total_value', 'must be positive'));
    const contract = str(body, 'contract_number', 100, false);
    if (!contract.ok) return fail(contract.error);
    const installment = body.installment_number;
    if (installment !== undefined && !Number.isInteger(installment)) return fail(qiErrors.invalidField('installment_number', 'must be an integer'));
    const origin = body.collection_origin_type;
    if (origin !== undefined && origin !== 'borrower' && origin !== 'assignor') return fail(qiErrors.invalidField('collection_origin_type', 'must be borrower or assignor'));
    const id = body.external_id as string;
    if (batch.settlements.has(id)) return fail(qiErrors.duplicateSettlement(id));
    if (batch.status !== OPEN) return fail(qiErrors.batchNotOpen(batch.external_id, batch.status));
    const settlement: SandboxSettlement = {
      external_id: id,
      asset_type: body.asset_type as string,
      settlement_type: body.settlement_type as string,
      total_value: total,
      contract_number: contract.value,
      installment_number: installment as number | undefined,
      collection_origin_type: origin,
      status: OPEN,
    };
    batch.settlements.set(id, settlement);
    return ok(settlement);
  }

  setStatus(batch: SandboxPaymentBatch, status: unknown): Result<SandboxPaymentBatch> {
    if (status !== 'pending_payment' && status !== 'discarded') return fail(qiErrors.invalidStatus(String(status)));
    if (batch.status !== OPEN) return fail(qiErrors.batchNotOpen(batch.external_id, batch.status));
    const live = [...batch.settlements.values()].filter((s) => s.status !== 'discarded');
    if (status === 'pending_payment' && live.length === 0) return fail(qiErrors.batchWithoutSettlements(batch.external_id));
    batch.status = status;
    for (const s of live) s.status = status;
    return ok(batch);
  }

  /** QI Tech pays a closed batch: every settlement settled, the batch paid. */
  pay(batch: SandboxPaymentBatch): SandboxSettlement[] {
    if (batch.status !== 'pending_payment') throw new Error(`sandbox: batch ${batch.external_id} is ${batch.status}, not pending_payment`);
    const settled = [...batch.settlements.values()].filter((s) => s.status === 'pending_payment');
    for (const s of settled) s.status = 'settled';
    batch.status = 'paid';
    return settled;
  }
}

/** A settlement as the API shows it: total_value as a JSON number with its own text. */
export function settlementJson(s: SandboxSettlement): string {
  const { total_value, ...rest } = s;
  return `${JSON.stringify(rest).slice(0, -1)},"total_value":${total_value}}`;
}

export function batchJson(b: SandboxPaymentBatch): string {
  return JSON.stringify({
    external_id: b.external_id,
    payment_batch_key: b.payment_batch_key,
    status: b.status,
    description: b.description,
    reference_date: b.reference_date,
    settlements_count: b.settlements.size,
  });
}
