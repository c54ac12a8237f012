import { describe, expect, it } from 'vitest';
import { closeBody, interpretAnswer, type CloseAnswer } from '../../src/saferpay/client.js';
import { SAFERPAY_BASE_URLS, SAFERPAY_SPEC_VERSION, SaferpayConfigSchema } from '../../src/saferpay/config.js';
import { decide, MAX_ATTEMPTS } from '../../src/saferpay/decide.js';
import { latestOccurrence } from '../../src/saferpay/schedule.js';

const base = { baseUrl: 'test', username: 'API_123123_80003225', password: 'secret-pass', customerId: '123123', terminalId: '12341234' };
const terminal = () => SaferpayConfigSchema.parse({ terminals: [base] }).terminals[0]!;
const policy = terminal().retry;
const error = (behavior: string | null, errorName: string | null = 'SOME_ERROR', status = 402): CloseAnswer => ({ kind: 'error', status, errorName, behavior, message: 'changes without notice', details: [] });
const first = { attempts: 1, soonRetriesInRun: 0 };

describe('SaferpayConfigSchema', () => {
  it('fills the documented defaults: newest SpecVersion, daily 21:30 Europe/Zurich, 100 s timeout', () => {
    const t = terminal();
    expect(t).toMatchObject({ baseUrl: SAFERPAY_BASE_URLS.test, specVersion: SAFERPAY_SPEC_VERSION, schedule: '30 21 * * *', timezone: 'Europe/Zurich', requestTimeoutMs: 100_000 });
    expect(SaferpayConfigSchema.parse({ terminals: [{ ...base, baseUrl: 'production' }] }).terminals[0]!.baseUrl).toBe('https://www.saferpay.com/api');
    expect(SaferpayConfigSchema.parse({}).terminals).toEqual([]);
  });

  it('validates CustomerId Numeric[1..8] and TerminalId Numeric[8..8], taking unquoted YAML numbers', () => {
    expect(SaferpayConfigSchema.parse({ terminals: [{ ...base, customerId: 123123, terminalId: 12341234 }] }).terminals[0]).toMatchObject({ customerId: '123123', terminalId: '12341234' });
    for (const bad of [{ customerId: '123456789' }, { customerId: 'abc' }, { terminalId: '1234123' }, { terminalId: '123412345' }, { terminalId: '1234123x' }]) {
      expect(SaferpayConfigSchema.safeParse({ terminals: [{ ...base, ...bad }] }).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('rejects unknown keys, unusable schedules and timezones, and a terminal configured twice', () => {
    for (const bad of [{ extra: 1 }, { schedule: 'every day' }, { timezone: 'Mars/Olympus' }, { baseUrl: 'staging' }, { specVersion: 'latest' }]) {
      expect(SaferpayConfigSchema.safeParse({ terminals: [{ ...base, ...bad }] }).success, JSON.stringify(bad)).toBe(false);
    }
    expect(SaferpayConfigSchema.safeParse({ terminals: [base, { ...base, name: 'shop' }] }).success).toBe(false);
  });

  it('sends its credentials only over https, or plain http to a loopback sandbox', () => {
    const at = (baseUrl: string) => SaferpayConfigSchema.safeParse({ terminals: [{ ...base, baseUrl }] });
    const refused = at('http://saferpay.example.com/api');
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]).toMatchObject({ path: ['terminals', 0, 'baseUrl'], message: expect.stringContaining('http is not https') });
    expect(at('https://proxy.example.com/api').success).toBe(true);
    expect(at('http://127.0.0.1:8080/api').success).toBe(true);
  });
});

describe('the close request', () => {
  it('is the documented body', () => {
    expect(JSON.parse(closeBody(terminal(), { requestId: 'r-1', retryIndicator: 2 }))).toEqual({
      RequestHeader: { SpecVersion: SAFERPAY_SPEC_VERSION, CustomerId: '123123', RequestId: 'r-1', RetryIndicator: 2 },
      TerminalId: '12341234',
    });
  });
});

describe('interpretAnswer', () => {
  const json = 'application/json; charset=utf-8';
  it('takes a 200 echoing our RequestId as success, and nothing else', () => {
    expect(interpretAnswer(200, json, '{"ResponseHeader":{"SpecVersion":"1.53","RequestId":"r-1"}}', 'r-1')).toEqual({ kind: 'ok', status: 200 });
    expect(interpretAnswer(200, json, '{"ResponseHeader":{"SpecVersion":"1.53","RequestId":"r-2"}}', 'r-1').kind).toBe('unexpected');
    expect(interpretAnswer(200, 'text/html', '<html>portal</html>', 'r-1').kind).toBe('unexpected');
  });

  it('reads the documented error shape', () => {
    const body = JSON.stringify({ ResponseHeader: { SpecVersion: '1.53', RequestId: 'r-1' }, Behavior: 'DO_NOT_RETRY', ErrorName: 'VALIDATION_FAILED', ErrorMessage: 'x', ErrorDetail: ['TerminalId: bad'] });
    expect(interpretAnswer(400, json, body, 'r-1')).toEqual({ kind: 'error', status: 400, errorName: 'VALIDATION_FAILED', behavior: 'DO_NOT_RETRY', message: 'x', details: ['TerminalId: bad'] });
  });

  it('keeps the status and the first bytes of a body that is not JSON', () => {
    const page = `<html><body>Access denied by the firewall ${'x'.repeat(500)}</body></html>`;
    const a = interpretAnswer(403, 'text/html', page, 'r-1');
    expect(a).toMatchObject({ kind: 'unexpected', status: 403, contentType: 'text/html' });
    expect(a.kind === 'unexpected' && a.head).toBe(page.slice(0, 200));
    expect(interpretAnswer(500, json, 'not json', 'r-1').kind).toBe('unexpected');
  });
});

describe('decide', () => {
  it('closes on success', () => {
    expect(decide({ kind: 'ok', status: 200 }, first, policy)).toEqual({ action: 'closed' });
  });

  it('RETRY: soon (back-off from soonDelayMs, in this run), then later once the quick retries are spent', () => {
    const d = decide(error('RETRY'), first, policy, () => 0);
    expect(d).toMatchObject({ action: 'retry', inRun: true, delayMs: policy.soonDelayMs / 2 });
    expect(decide(error('RETRY'), { attempts: 4, soonRetriesInRun: policy.soonAttempts }, policy)).toMatchObject({ action: 'retry', inRun: false, delayMs: policy.laterDelayMs });
  });

  it('RETRY_LATER: the next attempt laterDelayMs later, scheduled in the database', () => {
    expect(decide(error('RETRY_LATER'), first, policy)).toMatchObject({ action: 'retry', inRun: false, delayMs: policy.laterDelayMs });
  });

  it.each(['DO_NOT_RETRY', 'ABORT', 'OTHER_MEANS', 'SOMETHING_NEW', null])('%s: stop and alert', (behavior) => {
    expect(decide(error(behavior), first, policy)).toMatchObject({ action: 'stop', outcome: 'failed' });
  });

  it('decides on ErrorName and Behavior, not on the message', () => {
    const a = decide(error('RETRY'), first, policy, () => 0);
    const b = decide({ ...error('RETRY'), message: 'another wording entirely' } as CloseAnswer, first, policy, () => 0);
    expect(a).toEqual(b);
  });

  it('treats 401 and authentication, permission and validation errors as configuration errors', () => {
    expect(decide({ kind: 'unexpected', status: 401, contentType: null, head: '' }, first, policy)).toMatchObject({ action: 'stop', outcome: 'config-error' });
    for (const name of ['AUTHENTICATION_FAILED', 'PERMISSION_DENIED', 'VALIDATION_FAILED']) {
      expect(decide(error('RETRY', name, 400), first, policy)).toMatchObject({ action: 'stop', outcome: 'config-error' });
    }
  });

  it('retries what leaves the outcome open (timeouts, broken connections, proxy pages) and stops on a firewall page', () => {
    expect(decide({ kind: 'no-answer', reason: 'timeout', message: '' }, first, policy)).toMatchObject({ action: 'retry', inRun: true });
    expect(decide({ kind: 'no-answer', reason: 'network', message: '' }, first, policy)).toMatchObject({ action: 'retry', inRun: true });
    expect(decide({ kind: 'unexpected', status: 502, contentType: 'text/html', head: '' }, first, policy)).toMatchObject({ action: 'retry', inRun: true });
    expect(decide({ kind: 'unexpected', status: 403, contentType: 'text/html', head: '' }, first, policy)).toMatchObject({ action: 'stop', outcome: 'failed' });
  });

  it('stops once RetryIndicator 9 was sent', () => {
    expect(decide(error('RETRY'), { attempts: MAX_ATTEMPTS, soonRetriesInRun: 0 }, policy)).toMatchObject({ action: 'stop', outcome: 'failed' });
    expect(decide(error('RETRY'), { attempts: MAX_ATTEMPTS - 1, soonRetriesInRun: 0 }, policy)).toMatchObject({ action: 'retry' });
  });
});

describe('latestOccurrence', () => {
  it('names the business day by the local date of the latest scheduled time, across DST', () => {
    // 21:30 in Zurich is 19:30Z in summer, 20:30Z in winter.
    expect(latestOccurrence('30 21 * * *', 'Europe/Zurich', new Date('2025-06-10T19:29:59Z')).businessDay).toBe('2025-06-09');
    expect(latestOccurrence('30 21 * * *', 'Europe/Zurich', new Date('2025-06-10T19:30:00Z'))).toEqual({ businessDay: '2025-06-10', scheduledAt: new Date('2025-06-10T19:30:00Z') });
    expect(latestOccurrence('30 21 * * *', 'Europe/Zurich', new Date('2025-12-10T20:30:00Z')).scheduledAt).toEqual(new Date('2025-12-10T20:30:00Z'));
    expect(latestOccurrence('30 21 * * *', 'Europe/Zurich', new Date('2025-06-10T23:00:00Z')).businessDay).toBe('2025-06-10');
  });
});
