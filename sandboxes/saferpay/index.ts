// A stateful Saferpay JSON API sandbox (Batch Close), in-process for tests or behind a port for demos.
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { systemClock, type SandboxClock } from '../clock.js';
import { createSaferpayServer, type ExecutedClose, type FaultOptions, type Injected, type SandboxCustomer, type SaferpayState, type SeenRequest } from './server.js';
import { NEWEST_SPEC_MINOR } from './validate.js';

export type { ExecutedClose, FaultKind, FaultOptions, Injected, InjectedError, SandboxCustomer, SeenRequest } from './server.js';

export interface SaferpaySandboxOptions {
  port?: number;
  host?: string;
  /** Absent: one customer 123123 with terminals 12341234 and 17755555 and a random password. */
  customers?: SandboxCustomer[];
  clock?: SandboxClock;
  faults?: FaultOptions | null;
}

export interface SaferpaySandbox {
  /** The base URL to configure (`…/api`). */
  url: string;
  port: number;
  customers: SandboxCustomer[];
  controls: {
    /** Answers the next requests with these faults, in order, before any random ones. */
    failNext(...faults: Injected[]): void;
    setFaults(f: FaultOptions | null): void;
    /** The Backoffice or the automatic closure closes the terminal's batch: the next new close answers BATCH_ALREADY_CLOSED. */
    closeElsewhere(terminalId: string): void;
  };
  counters: {
    /** Batches actually closed (a replayed retry does not count). */
    closes(terminalId?: string): number;
    faults(kind?: string): number;
  };
  /** Every close executed, in order. */
  closes(): ExecutedClose[];
  /** Every well-formed request that reached the close logic, in order (RequestId, RetryIndicator, status). */
  requests(): SeenRequest[];
  close(): Promise<void>;
}

export async function startSaferpaySandbox(opts: SaferpaySandboxOptions = {}): Promise<SaferpaySandbox> {
  const customers = opts.customers ?? [
    { customerId: '123123', username: 'API_123123_80003225', password: randomBytes(12).toString('base64url'), terminalIds: ['12341234', '17755555'] },
  ];
  const state: SaferpayState = { clock: opts.clock ?? systemClock, customers, closes: [], requests: [], faultCounts: new Map(), queue: [], faults: opts.faults ?? null, closedElsewhere: new Set() };
  const { server, setFaults } = createSaferpayServer(state, `1.${NEWEST_SPEC_MINOR}`);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const sum = (m: Map<string, number>, key?: string) => (key !== undefined ? (m.get(key) ?? 0) : [...m.values()].reduce((a, b) => a + b, 0));
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}/api`,
    port,
    customers,
    controls: {
      failNext: (...faults) => void state.queue.push(...faults),
      setFaults,
      closeElsewhere: (terminalId) => void state.closedElsewhere.add(terminalId),
    },
    counters: {
      closes: (terminalId) => state.closes.filter((c) => terminalId === undefined || c.terminalId === terminalId).length,
      faults: (kind) => sum(state.faultCounts, kind),
    },
    closes: () => state.closes.map((c) => ({ ...c })),
    requests: () => state.requests.map((r) => ({ ...r })),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
