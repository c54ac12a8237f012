// Shared set-up for the Saferpay job tests: a sandbox with many terminals, one terminal per test, a captured log.
import { Writable } from 'node:stream';
import { afterAll, beforeAll } from 'vitest';
import { createLogger } from '../../src/log.js';
import type { FetchFn } from '../../src/saferpay/client.js';
import { SaferpayConfigSchema, type SaferpayConfig } from '../../src/saferpay/config.js';
import type { SaferpayDeps } from '../../src/saferpay/job.js';
import { startSaferpaySandbox, type SaferpaySandbox } from '../../sandboxes/saferpay/index.js';
import type { DataSource } from 'typeorm';
import type { Holder } from '../../src/store/claims.js';

export const customer = {
  customerId: '123123',
  username: 'API_123123_80003225',
  password: 'sandbox-password-1',
  terminalIds: Array.from({ length: 60 }, (_, i) => String(10_000_001 + i)),
};

/** 21:31 in Zurich on 10 June 2025: a minute after the default schedule. */
export const AFTER_CLOSE_TIME = new Date('2025-06-10T19:31:00Z');

export function useSaferpaySandbox(): () => SaferpaySandbox {
  let sb: SaferpaySandbox | undefined;
  beforeAll(async () => {
    sb = await startSaferpaySandbox({ customers: [customer] });
  });
  afterAll(async () => {
    await sb?.close();
  });
  return () => sb!;
}

let next = 0;
/** A configuration with one terminal of its own (tests share the sandbox, never a terminal). */
export function oneTerminal(sb: SaferpaySandbox, overrides: Record<string, unknown> = {}): SaferpayConfig {
  const terminalId = customer.terminalIds[next++]!;
  return SaferpayConfigSchema.parse({
    terminals: [{ baseUrl: sb.url, username: customer.username, password: customer.password, customerId: customer.customerId, terminalId, ...overrides }],
  });
}

export function capturedLogger() {
  const lines: string[] = [];
  const logger = createLogger({ stream: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }), tty: false, level: 'debug' });
  return { logger, lines, text: () => lines.join('') };
}

/** Runner deps with a fixed clock and a sleep that returns at once, recording the delays asked for. */
/** A claim holder and its ids: `useMigratedDatabase()`'s `holder`. */
type Holders = { ds: () => DataSource; holder: (id: string) => Promise<Holder> };

export async function runner(db: Holders, config: SaferpayConfig, o: { now?: Date; holderId?: string; ds?: DataSource; fetch?: FetchFn } = {}) {
  const holder = await db.holder(o.holderId ?? 'replica-a');
  const sleeps: number[] = [];
  const log = capturedLogger();
  let now = o.now ?? AFTER_CLOSE_TIME;
  const deps: SaferpayDeps = {
    ds: o.ds ?? db.ds(),
    config,
    now: () => now,
    fetch: o.fetch,
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    logger: log.logger,
    holder,
  };
  return { deps, sleeps, log, setNow: (d: Date) => (now = d), terminalId: config.terminals[0]!.terminalId };
}

/** A fetch that never answers (the process "dies" mid-send); `sent` resolves once the send began. */
export function dyingFetch(forwardFirst: boolean): { fetch: FetchFn; sent: Promise<void> } {
  let began!: () => void;
  const sent = new Promise<void>((r) => (began = r));
  const fetchFn: FetchFn = async (input, init) => {
    if (forwardFirst) await (await fetch(input, init)).text();
    began();
    return new Promise<Response>(() => undefined);
  };
  return { fetch: fetchFn, sent };
}
