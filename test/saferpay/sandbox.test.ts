import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSaferpaySandbox, type SaferpaySandbox } from '../../sandboxes/saferpay/index.js';

let sb: SaferpaySandbox;
beforeAll(async () => {
  sb = await startSaferpaySandbox();
});
afterAll(async () => {
  await sb.close();
});

const c = () => sb.customers[0]!;
const auth = (user = c().username, pass = c().password) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
const body = (o: { requestId?: string; retry?: number; terminalId?: string; customerId?: string; spec?: string } = {}) =>
  JSON.stringify({
    RequestHeader: { SpecVersion: o.spec ?? '1.53', CustomerId: o.customerId ?? c().customerId, RequestId: o.requestId ?? 'req-1', RetryIndicator: o.retry ?? 0 },
    TerminalId: o.terminalId ?? c().terminalIds[0],
  });
async function post(b: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${sb.url}/Payment/v1/Batch/Close`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', accept: 'application/json', authorization: auth(), ...headers },
    body: b,
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), text, json: () => JSON.parse(text) as Record<string, unknown> };
}

describe('the Saferpay sandbox', () => {
  it('closes a terminal batch and answers the ResponseHeader', async () => {
    const r = await post(body({ requestId: 'ok-1' }));
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ ResponseHeader: { SpecVersion: '1.53', RequestId: 'ok-1' } });
    expect(sb.closes().at(-1)).toMatchObject({ requestId: 'ok-1', terminalId: c().terminalIds[0] });
  });

  it('checks Basic auth, Content-Type and Accept with the documented status codes', async () => {
    const noAuth = await post(body(), { authorization: '' });
    expect([noAuth.status, noAuth.json()]).toMatchObject([401, { ErrorName: 'AUTHENTICATION_FAILED', Behavior: 'DO_NOT_RETRY' }]);
    expect((await post(body(), { authorization: auth(c().username, 'nope') })).status).toBe(401);
    expect((await post(body(), { 'content-type': 'text/plain' })).status).toBe(415);
    const notAcceptable = await post(body(), { accept: 'text/html' });
    expect([notAcceptable.status, notAcceptable.type]).toEqual([406, 'text/plain']);
  });

  it('validates the body: 400 VALIDATION_FAILED with the documented error shape and one detail per field', async () => {
    const r = await post(body({ requestId: 'bad id!', retry: 10, terminalId: '1234', customerId: '123456789', spec: '1.99' }));
    expect(r.status).toBe(400);
    const json = r.json();
    expect(json).toMatchObject({ ResponseHeader: { SpecVersion: '1.53', RequestId: 'bad id!' }, Behavior: 'DO_NOT_RETRY', ErrorName: 'VALIDATION_FAILED', ErrorMessage: expect.any(String) });
    expect((json.ErrorDetail as string[]).map((d) => d.split(':')[0])).toEqual([
      'RequestHeader.SpecVersion',
      'RequestHeader.CustomerId',
      'RequestHeader.RequestId',
      'RequestHeader.RetryIndicator',
      'TerminalId',
    ]);
    expect((await post('{not json')).status).toBe(400);
    expect(sb.counters.closes()).toBe(1);
  });

  it("denies another customer's terminal (403 PERMISSION_DENIED)", async () => {
    const r = await post(body({ terminalId: '99999999' }));
    expect([r.status, r.json().ErrorName]).toEqual([403, 'PERMISSION_DENIED']);
  });

  it('answers a retry of an executed request as the first time, without closing again; RetryIndicator 0 is a new request', async () => {
    const before = sb.counters.closes();
    const first = await post(body({ requestId: 'idem-1' }));
    const retry = await post(body({ requestId: 'idem-1', retry: 3 }));
    expect([retry.status, retry.text]).toEqual([first.status, first.text]);
    expect(sb.counters.closes()).toBe(before + 1);
    await post(body({ requestId: 'idem-1', retry: 0 }));
    expect(sb.counters.closes()).toBe(before + 2);
    // A retry of a request that failed (never executed) is executed.
    sb.controls.failNext({ status: 500, errorName: 'INTERNAL_ERROR', behavior: 'RETRY' });
    expect((await post(body({ requestId: 'idem-2' }))).json()).toMatchObject({ ErrorName: 'INTERNAL_ERROR', Behavior: 'RETRY' });
    expect((await post(body({ requestId: 'idem-2', retry: 1 }))).status).toBe(200);
    expect(sb.counters.closes()).toBe(before + 3);
  });

  it('injects faults in front of Saferpay as pages that are not JSON, queued or seeded at a rate', async () => {
    sb.controls.failNext('firewall-403', 'proxy-502');
    const a = await post(body({ requestId: 'f-1' }));
    const b = await post(body({ requestId: 'f-2' }));
    expect([a.status, a.type, b.status, b.type]).toEqual([403, 'text/html', 502, 'text/html']);
    sb.controls.setFaults({ rate: 1, seed: 7, kinds: ['proxy-502'] });
    expect((await post(body({ requestId: 'f-3' }))).status).toBe(502);
    sb.controls.setFaults(null);
    expect(sb.counters.faults('proxy-502')).toBe(2);
  });
});
