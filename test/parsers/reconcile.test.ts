import { describe, expect, it } from 'vitest';
import { reconcile } from '../../parsers/reconcile.js';

describe('reconciliation', () => {
  it('reconciled when every part matches the batch list and its own header', () => {
    const rec = reconcile({
      batch: [{ currency: 'EUR', total: '100.50' }],
      parts: [{ name: 'a', totals: { EUR: '100.5' }, header: { recordCount: 2, total: '100.50', batchId: '1', batchDate: null } }],
    });
    expect(rec.status).toBe('reconciled');
    expect(rec.checks.map((c) => [c.source, c.currency, c.ok])).toEqual([['batch-list', 'EUR', true], ['file-header', null, true]]);
  });

  it('mismatch against the batch list carries the difference (actual - expected)', () => {
    const rec = reconcile({ batch: [{ currency: 'EUR', total: '100.50' }], parts: [{ name: 'a', totals: { EUR: '100.49' }, header: null }] });
    expect(rec.status).toBe('mismatch');
    expect(rec.mismatches).toEqual([{ source: 'batch-list', file: 'a', currency: 'EUR', expected: '100.5', actual: '100.49', difference: '-0.01', ok: false }]);
  });

  it('money in a currency the batch list does not name is a mismatch', () => {
    const rec = reconcile({ batch: [{ currency: 'EUR', total: '10' }], parts: [{ name: 'a', totals: { EUR: '10', USD: '3' }, header: null }] });
    expect(rec.mismatches.map((m) => [m.currency, m.expected, m.difference])).toEqual([['USD', '0', '3']]);
  });

  it('checks each part of a bundle on its own', () => {
    const rec = reconcile({
      batch: [{ currency: 'USD', total: '50' }],
      parts: [{ name: 'x.iif', totals: { USD: '50' }, header: null }, { name: 'gl.csv', totals: { USD: '49' }, header: null }],
    });
    expect(rec.mismatches.map((m) => m.file)).toEqual(['gl.csv']);
  });

  it('without a batch list, only the header is checked; no header and no list means nothing to check', () => {
    const header = { recordCount: 1, total: '5', batchId: '1', batchDate: null };
    expect(reconcile({ batch: null, parts: [{ name: 'a', totals: { EUR: '4', USD: '1' }, header }] }).status).toBe('reconciled');
    expect(reconcile({ batch: null, parts: [{ name: 'a', totals: { EUR: '4' }, header }] }).mismatches[0]?.difference).toBe('-1');
    expect(reconcile({ batch: null, parts: [{ name: 'a', totals: {}, header: null }] })).toEqual({ status: 'reconciled', checks: [], mismatches: [] });
  });
});
