// A stateful QI Tech settlement sandbox: payment batches, settlements, signature checks, and webhooks
// delivered back to the daemon when a test (or a person) pays a batch.
import type { KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Sleep } from '../../src/backoff.js';
import { systemClock, type SandboxClock } from '../clock.js';
import { createQiTechServer, type FaultOptions, type Operation } from './server.js';
import { QiTechState, type SandboxPaymentBatch } from './state.js';
import { deliverWebhook, type WebhookDelivery, type WebhookTarget } from './webhooks.js';

export type { FaultOptions, Operation } from './server.js';
export type { WebhookDelivery, WebhookTarget } from './webhooks.js';

export interface QiTechSandboxOptions {
  port?: number;
  host?: string;
  /** API-CLIENT-KEY to the public key of the client’s ES512 key pair. */
  clients: Record<string, KeyObject>;
  clock?: SandboxClock;
  /** How far a request's timestamp may be from the sandbox clock (default 5 minutes). */
  maxSkewMs?: number;
  faults?: FaultOptions | null;
  webhook?: WebhookTarget;
  /** Sleep between webhook retries (tests pass one that does not wait). */
  sleep?: Sleep;
  random?: () => number;
}

export interface SandboxBatchView {
  fund: string;
  externalId: string;
  status: SandboxPaymentBatch['status'];
  settlements: Array<{ externalId: string; totalValue: string; status: string; contractNumber?: string; installmentNumber?: number }>;
}

export interface QiTechSandbox {
  url: string;
  controls: {
    batches(): SandboxBatchView[];
    /** Pays a closed batch and delivers its webhooks (settlements, then the batch); resolves when delivery ends. */
    pay(externalId: string): Promise<WebhookDelivery[]>;
    /** Delivers any event (a redelivery, an unknown batch) to the configured webhook target. */
    deliver(payload: Record<string, unknown>): Promise<WebhookDelivery>;
    setWebhook(target: WebhookTarget): void;
    setFaults(f: FaultOptions | null): void;
    /** The next `times` requests of this operation answer 503 before changing anything. */
    failNext(op: Operation, times?: number): void;
  };
  counters: {
    requests(op?: Operation): number;
    errors(code?: string): number;
  };
  close(): Promise<void>;
}

function sum(m: Map<string, number>, key?: string): number {
  if (key !== undefined) return m.get(key) ?? 0;
  return [...m.values()].reduce((a, b) => a + b, 0);
}

export async function startQiTechSandbox(opts: QiTechSandboxOptions): Promise<QiTechSandbox> {
  const clock = opts.clock ?? systemClock;
  const state = new QiTechState();
  const { server, counters, setFaults, failNext } = createQiTechServer({
    state,
    clock,
    clients: new Map(Object.entries(opts.clients)),
    maxSkewMs: opts.maxSkewMs ?? 5 * 60_000,
    faults: opts.faults ?? null,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  let webhook = opts.webhook;
  const deliver = (payload: Record<string, unknown>) => {
    if (!webhook) throw new Error('sandbox: no webhook target configured');
    return deliverWebhook(webhook, payload, { sleep: opts.sleep, random: opts.random });
  };
  const at = () => new Date(clock.now()).toISOString();

  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    controls: {
      batches: () =>
        [...state.batches.values()].map((b) => ({
          fund: b.fund,
          externalId: b.external_id,
          status: b.status,
          settlements: [...b.settlements.values()].map((s) => ({
            externalId: s.external_id,
            totalValue: s.total_value,
            status: s.status,
            contractNumber: s.contract_number,
            installmentNumber: s.installment_number,
          })),
        })),
      async pay(externalId) {
        const batch = state.byExternalId(externalId);
        if (!batch) throw new Error(`sandbox: no payment batch ${externalId}`);
        const settled = state.pay(batch);
        const out: WebhookDelivery[] = [];
        for (const s of settled) {
          out.push(
            await deliver({
              data: { payment_batch_external_id: batch.external_id, settlement_external_id: s.external_id, settlement_status: 'settled' },
              webhook_type: 'settlement.settlement_status_change',
              webhook_datetime: at(),
            }),
          );
        }
        out.push(await deliver({ data: { external_id: batch.external_id, status: 'paid' }, webhook_type: 'settlement.payment_batch_status_change', webhook_datetime: at() }));
        return out;
      },
      deliver,
      setWebhook(target) {
        webhook = target;
      },
      setFaults,
      failNext,
    },
    counters: {
      requests: (op) => sum(counters.requests, op),
      errors: (code) => sum(counters.errors, code),
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
