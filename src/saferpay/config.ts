// The `saferpay:` section of the configuration: the terminals whose daily batch erp-sync closes.
import { z } from 'zod';
import { latestOccurrence } from './schedule.js';
import { insecureTransport } from '../net/credential-target.js';

/** The newest SpecVersion this client was written against (Saferpay JSON API, mid 2026). */
export const SAFERPAY_SPEC_VERSION = '1.53';

export const SAFERPAY_BASE_URLS = {
  production: 'https://www.saferpay.com/api',
  test: 'https://test.saferpay.com/api',
} as const;

/** Ids in YAML may be written unquoted (numbers); leading zeros then are lost, so the README says to quote them. */
const numericId = (pattern: RegExp, what: string) =>
  z
    .union([z.string(), z.number().int().nonnegative()])
    .transform(String)
    .pipe(z.string().regex(pattern, what));

export const SaferpayTerminalSchema = z
  .strictObject({
    /** A label for logs, status and `erp-sync saferpay close <terminal>` (the TerminalId works too). */
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only (1-64)').optional(),
    /** `test`, `production`, or a URL (a proxy, the sandbox); the API path is appended to it. */
    baseUrl: z.union([z.enum(['test', 'production']).transform((k) => SAFERPAY_BASE_URLS[k]), z.url()]),
    /** The JSON-API user and password (Basic authentication). */
    username: z.string().min(1),
    password: z.string().min(1),
    customerId: numericId(/^\d{1,8}$/, 'CustomerId is Numeric[1..8]'),
    terminalId: numericId(/^\d{8}$/, 'TerminalId is Numeric[8..8]'),
    specVersion: z.string().regex(/^\d+\.\d+$/, 'expected a version such as "1.53"').default(SAFERPAY_SPEC_VERSION),
    /** When the close runs, in `timezone` (not "immediate": a close is a daily act). */
    schedule: z.string().default('30 21 * * *'),
    timezone: z.string().default('Europe/Zurich'),
    /** Saferpay's documented client timeout. */
    requestTimeoutMs: z.number().int().positive().default(100_000),
    /**
     * ErrorNames that mean the terminal's batch was already closed (by the Backoffice or the automatic closure).
     * Saferpay documents none; the sandbox answers BATCH_ALREADY_CLOSED. Recorded as `already-closed`, not a failure.
     */
    alreadyClosedErrorNames: z.array(z.string().min(1)).default(['BATCH_ALREADY_CLOSED']),
    retry: z
      .strictObject({
        /** Behavior RETRY, timeouts, broken connections: back-off from this delay, this many times in one run. */
        soonDelayMs: z.number().int().min(0).default(10_000),
        soonAttempts: z.number().int().min(0).max(9).default(3),
        /** Behavior RETRY_LATER (and RETRY once the quick retries are spent): the next attempt this much later. */
        laterDelayMs: z.number().int().min(0).default(30 * 60_000),
      })
      .prefault({}),
  })
  .superRefine((t, ctx) => {
    // The Basic-auth credentials go with every close: https only, plain http only to a loopback host (the sandbox).
    const target = URL.canParse(t.baseUrl) ? insecureTransport(new URL(t.baseUrl)) : null;
    if (target) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: `refused to send Saferpay credentials to ${t.baseUrl}: ${target} (plain http only to loopback)` });
    try {
      latestOccurrence(t.schedule, t.timezone, new Date());
    } catch (e) {
      ctx.addIssue({ code: 'custom', path: ['schedule'], message: `schedule "${t.schedule}" in timezone "${t.timezone}" is not usable: ${(e as Error).message}` });
    }
  });

export const SaferpayConfigSchema = z
  .strictObject({ terminals: z.array(SaferpayTerminalSchema).default([]) })
  .superRefine((c, ctx) => {
    const seen = new Set<string>();
    c.terminals.forEach((t, i) => {
      for (const key of [t.terminalId, t.name].filter((k) => k !== undefined)) {
        if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['terminals', i], message: `terminal "${key}" is configured twice` });
        seen.add(key);
      }
    });
  });

export type SaferpayConfig = z.infer<typeof SaferpayConfigSchema>;
export type SaferpayTerminal = z.infer<typeof SaferpayTerminalSchema>;

/** The name a terminal goes by in logs, status and metrics. */
export const terminalLabel = (t: SaferpayTerminal): string => t.name ?? t.terminalId;
