// The `alerts:` section of the configuration: where alerts go (signed webhook, Slack, Microsoft Teams) and when a
// condition becomes an alert. The webhook URLs carry tokens: they are secrets (masked in logs, never logged).
import { z } from 'zod';
import { insecureTransport } from '../net/credential-target.js';
import { repeats } from '../repeats.js';

export const ALERT_KINDS = ['batch_quarantined', 'reconciliation_mismatch', 'needs_reauth', 'delivery_failing', 'saferpay_close_failed', 'not_cycling'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

// Messages never quote the URL: it holds the token.
const webhookUrl = z
  .string()
  .refine((u) => URL.canParse(u), 'not a valid URL')
  .refine((u) => insecureTransport(new URL(u)) === null, 'expected an https:// URL (plain http only to loopback)');

/** A label for logs and metrics (the URL never appears in either); defaults to the type. */
const name = (type: string) => z.string().regex(/^[a-z0-9_-]{1,64}$/, 'lower-case letters, digits, _ and - only (1-64)').default(type);

const common = {
  url: webhookUrl,
  /** Only these kinds go to this target; all when absent. */
  events: z.array(z.enum(ALERT_KINDS)).min(1).optional(),
};

export const AlertTargetSchema = z.discriminatedUnion('type', [
  /** A JSON body signed with HMAC-SHA256 (header X-Erp-Sync-Signature: t=<unix seconds>,v1=<hex>). */
  z.strictObject({ type: z.literal('webhook'), name: name('webhook'), ...common, secret: z.string().min(16, 'use a secret of at least 16 characters') }),
  /** A Slack incoming webhook (text + Block Kit section). */
  z.strictObject({ type: z.literal('slack'), name: name('slack'), ...common }),
  /** A Microsoft Teams Workflows webhook ("When a Teams webhook request is received"): an Adaptive Card. */
  z.strictObject({ type: z.literal('teams'), name: name('teams'), ...common }),
]);
export type AlertTarget = z.infer<typeof AlertTargetSchema>;

export const AlertsConfigSchema = z
  .strictObject({
    targets: z.array(AlertTargetSchema).default([]),
    /** The console's address in alert links; absent: http://<http.host>:<http.port>. */
    consoleUrl: z.url().optional(),
    /** How often conditions are evaluated and the outbox is drained. */
    evaluateEveryMs: z.number().int().min(1_000).default(15_000),
    /** A delivery to a sink is an alert once it failed this many times, or has been failing this long. */
    deliveryFailing: z
      .strictObject({ attempts: z.number().int().min(1).default(3), minutes: z.number().int().min(1).default(30) })
      .prefault({}),
    /** A company whose Concur list has not been read successfully for this long (while due, or after a failure). */
    notCyclingMinutes: z.number().int().min(1).default(60),
    /** One delivery attempt's time limit. */
    requestTimeoutMs: z.number().int().min(100).default(10_000),
    /** Bounds on the undelivered alerts kept; beyond them the oldest are dropped (logged at warn). */
    outbox: z
      .strictObject({ maxRows: z.number().int().min(10).default(10_000), maxBytes: z.number().int().min(65_536).default(16 * 1024 * 1024) })
      .prefault({}),
  })
  .superRefine((a, ctx) => {
    for (const i of repeats(a.targets.map((t) => t.name))) {
      ctx.addIssue({ code: 'custom', path: ['targets', i, 'name'], message: `alert target name "${a.targets[i]!.name}" appears twice; name each target` });
    }
  });
export type AlertsConfig = z.infer<typeof AlertsConfigSchema>;
