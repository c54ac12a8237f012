// The alerts' decisions and formats, without I/O: which causes are open, what changed, the bodies, the signature.
import { describe, expect, it } from 'vitest';
import { diffAlerts, MAX_REASON_CHARS, openCauses, type AlertFacts, type CompanyFact, type Thresholds } from '../../src/alerts/causes.js';
import { AlertsConfigSchema } from '../../src/alerts/config.js';
import { renderBody, type AlertMessage } from '../../src/alerts/render.js';
import { signature } from '../../src/alerts/sign.js';
import { verifySignature } from '../../sandboxes/alerts/verify.js';
import { consoleUrl } from '../../src/alerts/engine.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { interpolateTree } from '../../src/config/interpolate.js';
import { parse as parseYaml } from 'yaml';
import { readmeBlocks } from '../support/readme.js';

const now = new Date('2026-11-22T12:00:00Z');
const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);
const defaults = AlertsConfigSchema.parse({});
const thresholds: Thresholds = { deliveryAttempts: defaults.deliveryFailing.attempts, deliveryMinutes: defaults.deliveryFailing.minutes, notCyclingMinutes: defaults.notCyclingMinutes };
const none: AlertFacts = { batches: [], deliveries: [], companies: [], sinks: [], saferpay: [] };
const company = (over: Partial<CompanyFact> = {}): CompanyFact => ({
  id: 'acme', authState: 'ok', authError: null, lastSuccessAt: minutesAgo(1), createdAt: minutesAgo(10_000), lastDiscoveryError: null, nextDiscoveryAt: minutesAgo(-5), ...over,
});
const keys = (f: Partial<AlertFacts>, t = thresholds) => openCauses({ ...none, ...f }, t, now).map((c) => `${c.kind} ${c.key}`);

describe('open causes', () => {
  it('names a quarantined batch (a mismatch as such) and a batch loaded with a flagged mismatch, with console links', () => {
    const causes = openCauses({
      ...none,
      batches: [
        { id: '1', companyId: 'acme', concurBatchId: 'B1', name: 'EUR', state: 'quarantined', quarantineReason: 'load: line 3: amount "x" is not a number', mismatch: null },
        { id: '2', companyId: 'acme', concurBatchId: 'B 2', name: null, state: 'quarantined', quarantineReason: 'reconciliation mismatch: {"batch-total:EUR":"10.00"}', mismatch: { 'batch-total:EUR': '10.00' } },
        { id: '3', companyId: 'acme', concurBatchId: 'B3', name: null, state: 'done', quarantineReason: null, mismatch: { 'batch-total:EUR': '-1.00' } },
      ],
    }, thresholds, now);
    expect(causes.map((c) => [c.kind, c.key, c.company, c.batch, c.link])).toEqual([
      ['batch_quarantined', 'batch:1:quarantined', 'acme', 'B1', '/batches/B1'],
      ['reconciliation_mismatch', 'batch:2:quarantined', 'acme', 'B 2', '/batches/B%202'],
      ['reconciliation_mismatch', 'batch:3:mismatch', 'acme', 'B3', '/batches/B3'],
    ]);
    expect(causes[0]!.reason).toBe('load: line 3: amount "x" is not a number');
    expect(causes[2]!.reason).toBe('reconciliation mismatch: {"batch-total:EUR":"-1.00"}');
  });

  it('alerts a failing delivery after N failures in a row or T minutes, whichever first', () => {
    const d = { batchRowId: '7', companyId: 'acme', concurBatchId: 'B7', sink: 'sftp', lastError: 'ECONNREFUSED' };
    expect(keys({ deliveries: [{ ...d, attempts: 2, failingSince: minutesAgo(29) }] })).toEqual([]);
    expect(keys({ deliveries: [{ ...d, attempts: 3, failingSince: minutesAgo(1) }] })).toEqual(['delivery_failing delivery:7:sftp']);
    expect(keys({ deliveries: [{ ...d, attempts: 1, failingSince: minutesAgo(30) }] })).toEqual(['delivery_failing delivery:7:sftp']);
    expect(openCauses({ ...none, deliveries: [{ ...d, attempts: 3, failingSince: minutesAgo(4) }] }, thresholds, now)[0]!.reason).toBe('3 failed attempt(s) over 4 minute(s); last: ECONNREFUSED');
  });

  it('alerts re-authorisation (and then not "not cycling" as well), and sinks that need a person', () => {
    expect(keys({ companies: [company({ authState: 'needs_reauth', authError: 'invalid_grant', lastSuccessAt: minutesAgo(500), lastDiscoveryError: 'refused' })] })).toEqual(['needs_reauth reauth:acme']);
    expect(keys({ sinks: [{ companyId: 'acme', sink: 'xero', reason: 'Xero connection needs re-authorisation: invalid_grant' }] })).toEqual(['needs_reauth sink:acme:xero']);
    const [c] = openCauses({ ...none, companies: [company({ authState: 'needs_reauth', authError: 'invalid_grant' })] }, thresholds, now);
    expect(c!.link).toBe('/companies/acme');
    expect(c!.reason).toContain('erp-sync reauth acme');
  });

  it('alerts a company not cycling: no success for X while its listing fails or is overdue; a sparse schedule that works is quiet', () => {
    // Failing every 15 minutes for 61 minutes.
    expect(keys({ companies: [company({ lastSuccessAt: minutesAgo(61), lastDiscoveryError: 'HTTP 503' })] })).toEqual(['not_cycling not-cycling:acme']);
    // Failing, but the last success is recent.
    expect(keys({ companies: [company({ lastSuccessAt: minutesAgo(59), lastDiscoveryError: 'HTTP 503' })] })).toEqual([]);
    // A daily schedule that works: last success 23 hours ago, next listing due in an hour, or just due.
    expect(keys({ companies: [company({ lastSuccessAt: minutesAgo(23 * 60), nextDiscoveryAt: minutesAgo(-60) })] })).toEqual([]);
    expect(keys({ companies: [company({ lastSuccessAt: minutesAgo(24 * 60), nextDiscoveryAt: minutesAgo(1) })] })).toEqual([]);
    // Due for longer than X and nobody listed it.
    expect(keys({ companies: [company({ lastSuccessAt: minutesAgo(25 * 60), nextDiscoveryAt: minutesAgo(60) })] })).toEqual(['not_cycling not-cycling:acme']);
    // Never listed successfully since it was configured.
    const [c] = openCauses({ ...none, companies: [company({ lastSuccessAt: null, createdAt: minutesAgo(90), lastDiscoveryError: 'HTTP 401' })] }, thresholds, now);
    expect(c!.reason).toBe('no successful listing since it was configured 90 minute(s) ago; latest error: HTTP 401');
  });

  it('alerts the latest failed Saferpay close of each terminal and day', () => {
    const [c] = openCauses({ ...none, saferpay: [{ terminalId: '17755555', terminalName: 'shop', businessDay: '2026-11-21', state: 'failed', error: 'TERMINAL_LOCKED/DO_NOT_RETRY HTTP 402: locked' }] }, thresholds, now);
    expect(c).toMatchObject({ key: 'saferpay:17755555:2026-11-21', kind: 'saferpay_close_failed', link: '/saferpay', company: null, batch: null });
    expect(c!.reason).toContain('TERMINAL_LOCKED/DO_NOT_RETRY HTTP 402: locked');
  });

  it('cuts free text, so no file or remote can make an alert large', () => {
    const [c] = openCauses({ ...none, batches: [{ id: '1', companyId: 'acme', concurBatchId: 'B'.repeat(5_000), name: 'n'.repeat(5_000), state: 'quarantined', quarantineReason: 'x'.repeat(100_000), mismatch: null }] }, thresholds, now);
    expect(c!.reason).toHaveLength(MAX_REASON_CHARS);
    const m: AlertMessage = { id: '1-opened', event: 'opened', kind: c!.kind, cause: c!.key, company: c!.company, batch: 'B'.repeat(200), summary: c!.summary, reason: c!.reason, link: 'http://x/batches/B', openedAt: now.toISOString(), resolvedAt: null };
    for (const type of ['webhook', 'slack', 'teams'] as const) expect(Buffer.byteLength(renderBody(type, m))).toBeLessThan(8 * 1024);
  });
});

describe('what changed', () => {
  it('opens new causes once and resolves the ones that went away', () => {
    const cause = (key: string) => ({ key, kind: 'batch_quarantined' as const, company: 'acme', batch: 'B', summary: 's', reason: 'r', link: '/batches/B' });
    expect(diffAlerts([cause('a'), cause('b')], [{ cause: 'b' }, { cause: 'c' }])).toEqual({ opened: [cause('a')], resolved: ['c'] });
    expect(diffAlerts([cause('a')], [{ cause: 'a' }])).toEqual({ opened: [], resolved: [] });
  });
});

describe('bodies', () => {
  const m: AlertMessage = {
    id: '4-opened', event: 'opened', kind: 'batch_quarantined', cause: 'batch:4:quarantined', company: 'acme', batch: 'B4', summary: 'Quarantined: batch B4 of company acme',
    reason: 'load: <!channel> & friends', link: 'https://erp.example.com/batches/B4', openedAt: '2026-11-22T12:00:00.000Z', resolvedAt: null,
  };

  it('sends the generic webhook the message itself', () => {
    expect(JSON.parse(renderBody('webhook', m))).toEqual(m);
  });

  it('escapes Slack markup in text from files and remotes, and links the console', () => {
    const body = JSON.parse(renderBody('slack', m));
    expect(body.text).toBe('ALERT: Batch quarantined — Quarantined: batch B4 of company acme');
    expect(body.blocks[0].text.text).toContain('load: &lt;!channel&gt; &amp; friends');
    expect(JSON.stringify(body)).not.toContain('<!channel>');
    expect(body.blocks[2].elements[0]).toMatchObject({ type: 'button', url: m.link });
  });

  it('sends Teams Workflows an Adaptive Card in a message attachment', () => {
    const body = JSON.parse(renderBody('teams', { ...m, event: 'resolved', resolvedAt: '2026-11-22T13:00:00.000Z' }));
    expect(body.type).toBe('message');
    const [a] = body.attachments;
    expect(a.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(a.content).toMatchObject({ type: 'AdaptiveCard', version: '1.4', actions: [{ type: 'Action.OpenUrl', url: m.link }] });
    expect(a.content.body[0]).toMatchObject({ text: 'RESOLVED: Batch quarantined', color: 'Good' });
    expect(a.content.body[3].facts).toEqual([{ title: 'Company', value: 'acme' }, { title: 'Batch', value: 'B4' }, { title: 'Open', value: '2026-11-22T12:00:00.000Z – 2026-11-22T13:00:00.000Z' }]);
  });
});

describe('the signature', () => {
  const secret = 'a-secret-of-sixteen-chars';
  const body = '{"id":"1-opened"}';
  const t = 1_790_000_000;

  it('verifies the exact body at a recent time, and nothing else', () => {
    const header = signature(secret, body, t);
    expect(header).toMatch(/^t=1790000000,v1=[0-9a-f]{64}$/);
    expect(verifySignature(secret, body, header, t + 299)).toBe(true);
    expect(verifySignature(secret, `${body} `, header, t)).toBe(false);
    expect(verifySignature('another-secret-of-16', body, header, t)).toBe(false);
    // A recorded request replayed later is refused.
    expect(verifySignature(secret, body, header, t + 301)).toBe(false);
    expect(verifySignature(secret, body, header.replace('t=1790000000', 't=1790000100'), t + 100)).toBe(false);
    expect(verifySignature(secret, body, undefined, t)).toBe(false);
  });
});

describe('the configuration', () => {
  it('has defaults, takes https URLs (http only to loopback), and never quotes a URL in its errors', () => {
    expect(defaults).toEqual({ targets: [], evaluateEveryMs: 15_000, deliveryFailing: { attempts: 3, minutes: 30 }, notCyclingMinutes: 60, requestTimeoutMs: 10_000, outbox: { maxRows: 10_000, maxBytes: 16 * 1024 * 1024 } });
    const ok = AlertsConfigSchema.parse({ targets: [{ type: 'slack', url: 'https://hooks.slack.com/services/T0/B0/tok' }, { type: 'teams', url: 'https://x.powerautomate.com/hook' }, { type: 'webhook', name: 'ops', url: 'http://127.0.0.1:9/a', secret: 's'.repeat(16) }] });
    expect(ok.targets.map((t) => t.name)).toEqual(['slack', 'teams', 'ops']);
    const bad = AlertsConfigSchema.safeParse({ targets: [{ type: 'slack', url: 'http://hooks.example.com/services/T0/B0/tok-in-the-url' }, { type: 'slack', url: 'https://hooks.slack.com/x' }] });
    expect(bad.success).toBe(false);
    const text = JSON.stringify(bad.error!.issues);
    expect(text).toContain('expected an https:// URL');
    expect(text).toContain('appears twice');
    expect(text).not.toContain('tok-in-the-url');
    expect(AlertsConfigSchema.safeParse({ targets: [{ type: 'webhook', url: 'https://x.example.com/', secret: 'short' }] }).success).toBe(false);
  });

  it('links the console at alerts.consoleUrl, else at the daemon\'s HTTP address', () => {
    const config = (over: object) => ConfigSchema.parse({ companies: [{ id: 'a' }], ...over });
    expect(consoleUrl(config({}))).toBe('http://127.0.0.1:8080');
    expect(consoleUrl(config({ http: { host: '::1', port: 9000 } }))).toBe('http://[::1]:9000');
    expect(consoleUrl(config({ alerts: { consoleUrl: 'https://erp-sync.example.com/' } }))).toBe('https://erp-sync.example.com');
  });
});

describe('the README', () => {
  it('configures alerts as the schema reads them, and shows the generic webhook body as it is sent', () => {
    const block = readmeBlocks('yaml').find((b) => b.text.startsWith('alerts:'))!;
    const env = { ALERT_WEBHOOK_URL: 'https://hooks.example.com/erp', ALERT_WEBHOOK_SECRET: 's'.repeat(32), SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/x', TEAMS_WORKFLOW_URL: 'https://x.powerautomate.com/y' };
    const config = ConfigSchema.parse({ companies: [{ id: 'acme' }], ...(interpolateTree(parseYaml(block.text), env) as object) });
    expect(config.alerts.targets.map((t) => [t.type, t.name])).toEqual([['webhook', 'ops'], ['slack', 'slack'], ['teams', 'teams']]);
    const body = JSON.parse(readmeBlocks('json').find((b) => b.text.includes('"event":"opened"'))!.text);
    const m: AlertMessage = { ...body };
    expect(Object.keys(JSON.parse(renderBody('webhook', m)))).toEqual(Object.keys(body));
    expect(openCauses({ ...none, batches: [{ id: '17', companyId: 'acme', concurBatchId: body.batch, name: 'Employee EUR', state: 'quarantined', quarantineReason: body.reason, mismatch: null }] }, thresholds, now)[0])
      .toEqual({ key: body.cause, kind: body.kind, company: body.company, batch: body.batch, summary: body.summary, reason: body.reason, link: new URL(body.link).pathname });
  });
});
