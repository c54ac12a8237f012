// POST /webhooks/qitech: QI Tech's settlement webhooks. Guarded by a shared secret (preferably in a header;
// the path form is kept and masked in logs); each event is stored once (by the hash of its content) and moves
// the payout's status forward. Hostile bodies (too deep, NUL, wrong types) are a 400, never a 500.
import type { ServerResponse } from 'node:http';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { registerSecret, type Logger } from '../../src/log.js';
import { applyWebhookEvent, type WebhookEvent } from './store.js';
import type { Route } from '../../src/http/server.js';
import { payloadProblem } from '../../src/http/payload-guard.js';
import { secretMatcher, sha256 } from '../../src/http/secret-match.js';
import { BodyTooLarge, readBody } from '../../src/http/read-body.js';

export interface QiTechWebhookOptions {
  ds: DataSource;
  logger: Logger;
  /** Expected as the last path segment (/webhooks/qitech/<secret>) or in `header`. */
  secret: string;
  header?: string;
  /** Where the route is mounted. */
  prefix?: string;
  maxBodyBytes?: number;
}

// Loose: QI Tech adds fields over time; only what we use is checked.
const BatchEvent = z.looseObject({
  webhook_type: z.literal('settlement.payment_batch_status_change'),
  webhook_datetime: z.string().optional(),
  data: z.looseObject({ external_id: z.string().min(1), status: z.string().min(1) }),
});
const SettlementEvent = z.looseObject({
  webhook_type: z.literal('settlement.settlement_status_change'),
  webhook_datetime: z.string().optional(),
  data: z.looseObject({ payment_batch_external_id: z.string().min(1), settlement_external_id: z.string().min(1), settlement_status: z.string().min(1) }),
});
const KnownEvent = z.discriminatedUnion('webhook_type', [BatchEvent, SettlementEvent]);

/** JSON with keys sorted at every level: the same event re-sent with other key order hashes the same. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function toWebhookEvent(event: z.infer<typeof KnownEvent>, raw: unknown): WebhookEvent {
  const common = { contentSha256: sha256(canonicalJson(raw)).toString('hex'), webhookType: event.webhook_type, webhookDatetime: event.webhook_datetime ?? null, payload: raw };
  if (event.webhook_type === 'settlement.payment_batch_status_change') {
    return { ...common, paymentBatchExternalId: event.data.external_id, settlementExternalId: null, status: event.data.status };
  }
  return { ...common, paymentBatchExternalId: event.data.payment_batch_external_id, settlementExternalId: event.data.settlement_external_id, status: event.data.settlement_status };
}

export function createQiTechWebhookRoute(opts: QiTechWebhookOptions): Route {
  registerSecret(opts.secret);
  const prefix = opts.prefix ?? '/webhooks/qitech';
  const header = (opts.header ?? 'x-qitech-webhook-secret').toLowerCase();
  const log = opts.logger.child({ route: prefix });
  const matches = secretMatcher(opts.secret);

  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const rest = path.slice(prefix.length).replace(/^\/+|\/+$/g, '');
    if (rest.includes('/')) return reply(res, 404, { error: 'not found' });
    const fromHeader = req.headers[header];
    if (!matches(rest ? safeDecode(rest) : undefined) && !matches(typeof fromHeader === 'string' ? fromHeader : undefined)) {
      log.warn('QI Tech webhook refused: bad or missing secret', { remote: req.socket.remoteAddress });
      req.resume();
      return reply(res, 401, { error: 'unauthorized' });
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return reply(res, 405, { error: 'method not allowed' });
    }
    let raw: unknown;
    try {
      raw = JSON.parse((await readBody(req, opts.maxBodyBytes ?? 64 * 1024)).toString('utf8'));
    } catch (error) {
      const tooLarge = error instanceof BodyTooLarge;
      log.warn('QI Tech webhook refused: unreadable body', { tooLarge });
      return reply(res, tooLarge ? 413 : 400, { error: tooLarge ? 'body too large' : 'body is not JSON' });
    }
    const problem = payloadProblem(raw);
    if (problem) {
      log.warn('QI Tech webhook refused: unusable body', { problem });
      return reply(res, 400, { error: 'invalid body', problem });
    }
    const type = (raw as { webhook_type?: unknown } | null)?.webhook_type;
    if (type !== BatchEvent.shape.webhook_type.value && type !== SettlementEvent.shape.webhook_type.value) {
      // Another product's event on this URL: acknowledged so QI Tech does not retry it forever.
      log.info('QI Tech webhook ignored: not a settlement event', { webhookType: typeof type === 'string' ? type : null });
      return reply(res, 202, { ignored: true });
    }
    const parsed = KnownEvent.safeParse(raw);
    if (!parsed.success) {
      log.warn('QI Tech webhook refused: missing fields', { webhookType: type, issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
      return reply(res, 400, { error: 'invalid event', issues: parsed.error.issues.map((i) => i.path.join('.')) });
    }
    const event = toWebhookEvent(parsed.data, raw);
    const outcome = await applyWebhookEvent(opts.ds, event);
    const fields = { webhookType: event.webhookType, paymentBatch: event.paymentBatchExternalId, settlement: event.settlementExternalId, status: event.status, outcome };
    if (outcome === 'unknown-batch' || outcome === 'unknown-settlement') {
      log.warn('QI Tech webhook for an unknown payout', fields);
      return reply(res, 404, { error: outcome });
    }
    log.info('QI Tech webhook', fields);
    reply(res, 200, { outcome });
  };
}
