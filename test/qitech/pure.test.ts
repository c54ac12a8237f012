// Pure pieces of the QI Tech sink: ids, amounts, bodies, config, signatures.
import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QiTechSinkConfigSchema } from '../../sinks/qitech/config.js';
import { claimsFor, md5Hex, signJwt, verifyJwt } from '../../sinks/qitech/jwt.js';
import { batchExternalId, EXTERNAL_ID_MAX, PlanError, planSettlements, settlementBody, settlementExternalId, type DemandRow } from '../../sinks/qitech/plan.js';

const row = (reportId: string | null, amount: string, lineNumber = 2, over: Partial<DemandRow> = {}): DemandRow => ({
  reportId,
  lineNumber,
  amount,
  currency: 'BRL',
  contractNumber: null,
  installmentNumber: null,
  ...over,
});
const mapping = { assetType: 'asset', settlementType: 'payment', collectionOriginType: 'borrower' as const };

describe('external ids', () => {
  it('are stable, at most 50 characters, and distinct per company + batch (+ report)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), fc.string(), (c1, b1, c2, b2) => {
        const a = batchExternalId(c1, b1);
        expect(a).toBe(batchExternalId(c1, b1));
        expect(a.length).toBeLessThanOrEqual(EXTERNAL_ID_MAX);
        expect(settlementExternalId(c1, b1, c2).length).toBeLessThanOrEqual(EXTERNAL_ID_MAX);
        if (c1 !== c2 || b1 !== b2) expect(a).not.toBe(batchExternalId(c2, b2));
      }),
    );
    // Separators cannot make two pairs collide.
    expect(batchExternalId('a-b', 'c')).not.toBe(batchExternalId('a', 'b-c'));
  });
});

describe('planSettlements', () => {
  it('sums each report exactly and writes two decimals', () => {
    const plan = planSettlements('co', 'B', [row('R1', '0.1'), row('R1', '0.2'), row('R2', '3'), row('R3', '-1'), row('R3', '0.5')]);
    expect(plan.settlements.map((s) => [s.reportId, s.totalValue])).toEqual([
      ['R1', '0.30'],
      ['R2', '3.00'],
    ]);
    expect(plan.skipped).toEqual([{ reportId: 'R3', total: '-0.5' }]);
  });

  it('refuses what it cannot pay exactly, naming batch, report or line', () => {
    expect(() => planSettlements('co', 'B', [row('R1', '1.005')])).toThrow(/report R1 total: 1.005 has more than two decimals/);
    expect(() => planSettlements('co', 'B', [row(null, '1', 7)])).toThrow(/line 7: report_id is empty/);
    expect(() => planSettlements('co', 'B', [row('R1', '1'), row('R1', '1', 3, { currency: 'USD' })])).toThrow(PlanError);
    expect(() => planSettlements('co', 'B', [row('R1', '1', 4, { installmentNumber: '2a' })])).toThrow(/line 4: installment number "2a"/);
  });
});

describe('settlementBody', () => {
  it('carries total_value as a number literal with exactly the planned text', () => {
    const [s] = planSettlements('co', 'B', [row('R1', '12345678901234567.1', 2, { contractNumber: 'C-1', installmentNumber: '3' })]).settlements;
    const body = settlementBody(s!, mapping);
    expect(body).toContain('"total_value":12345678901234567.10}');
    const parsed = JSON.parse(body) as Record<string, unknown>;
    expect(parsed).toMatchObject({ asset_type: 'asset', settlement_type: 'payment', contract_number: 'C-1', installment_number: 3, collection_origin_type: 'borrower', external_id: s!.externalId });
  });
});

describe('config', () => {
  const base = { type: 'qitech-settlement', baseUrl: 'https://qi.example', apiClientKey: 'k', privateKeyPath: '/k.pem', fundClassKey: 'f', settlement: { assetType: 'a', settlementType: 's' } };
  it('accepts the fund’s main account, an account key or bank fields, not two of them', () => {
    expect(QiTechSinkConfigSchema.parse(base).name).toBe('qitech-settlement');
    expect(QiTechSinkConfigSchema.safeParse({ ...base, accountKey: 'x'.repeat(36) }).success).toBe(true);
    const account = { account_number: '1', account_digit: '2', account_branch: '3', financial_institution_code: '329' };
    expect(QiTechSinkConfigSchema.safeParse({ ...base, account }).success).toBe(true);
    expect(QiTechSinkConfigSchema.safeParse({ ...base, account, accountKey: 'x'.repeat(36) }).success).toBe(false);
    expect(QiTechSinkConfigSchema.safeParse({ ...base, settlement: { ...base.settlement, contractNumberField: 'amount; DROP' } }).success).toBe(false);
  });
});

describe('ES512 JWT', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'secp521r1' });
  const body = Buffer.from('{"batch_status":"pending_payment"}');
  const token = signJwt(claimsFor('put', '/settlement/x?y=1', body, new Date('2025-01-15T08:00:00Z')), privateKey);

  it('verifies with the public key, with a raw 132-byte r||s signature and the documented claims', () => {
    const v = verifyJwt(token, publicKey);
    expect(v).toEqual({ ok: true, claims: { payload_md5: md5Hex(body), timestamp: '2025-01-15T08:00:00.000Z', method: 'PUT', uri: '/settlement/x?y=1' } });
    expect(Buffer.from(token.split('.')[2]!, 'base64url')).toHaveLength(132);
    expect(md5Hex('')).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });

  it('rejects a changed payload, another key and a DER signature', () => {
    const [h, p, s] = token.split('.') as [string, string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p, 'base64url').toString()), method: 'GET' })).toString('base64url');
    expect(verifyJwt(`${h}.${forged}.${s}`, publicKey)).toMatchObject({ ok: false, reason: 'signature does not verify' });
    expect(verifyJwt(token, generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).publicKey).ok).toBe(false);
    expect(verifyJwt(`${h}.${p}.${Buffer.alloc(139).toString('base64url')}`, publicKey)).toMatchObject({ ok: false, reason: expect.stringContaining('not DER') });
  });
});
