import { describe, expect, it } from 'vitest';
import { reconcile, type PartFigures } from '../../src/pipeline/reconcile.js';
import type { StoredGroup } from '../../src/model/reconciliation.js';
import { reloadDifference } from '../../src/pipeline/steps/load.js';

const g = (file: string, currency: string, account: string, rows: number, total: string): StoredGroup => ({ file, currency, account, rows, total });
const part = (over: Partial<PartFigures> & Pick<PartFigures, 'name' | 'kind'>): PartFigures => ({ entry: false, loaded: true, parsedRows: 0, totals: {}, accounts: {}, header: null, ...over });
const failed = (r: ReturnType<typeof reconcile>) => r.checks.filter((c) => !c.ok).map((c) => [c.check, c.file, c.currency ?? c.account ?? null, c.difference]);

describe('reconciliation of the stored rows', () => {
  it('reconciled when the stored rows match the list, the lines parsed and the file header', () => {
    const r = reconcile({
      list: { currency: 'EUR', total: '150.00', count: 1 },
      stored: { groups: [g('x.txt', 'EUR', '6100', 1, '100.00'), g('x.txt', 'EUR', '6200', 1, '50.00')] },
      parts: [part({ name: 'x.txt', kind: 'sae', parsedRows: 2, header: { recordCount: 2, total: '150', batchId: '1', batchDate: null } })],
    });
    expect(r).toMatchObject({ status: 'reconciled', rows: 2, totals: { EUR: '150' }, difference: {} });
  });

  it('what was dropped on the way to the database is a mismatch: stored rows below the lines parsed and the BatchTotal', () => {
    // The failure of issue 14: two split lines parsed, one stored.
    const r = reconcile({ list: { currency: 'EUR', total: '150.00', count: 1 }, stored: { groups: [g('b.csv', 'EUR', '', 1, '100.00')] }, parts: [part({ name: 'b.csv', kind: 'csv', parsedRows: 2 })] });
    expect(r.status).toBe('mismatch');
    expect(failed(r)).toEqual([['batch-total', null, 'EUR', '-50'], ['parsed-lines', 'b.csv', null, '-1']]);
    expect(r.difference).toEqual({ 'batch-total:EUR': '-50', 'parsed-lines:b.csv': '-1' });
  });

  it('no rows is never reconciled; fewer rows than Count and money in another currency are mismatches', () => {
    expect(failed(reconcile({ list: { currency: 'USD', total: '4317.08', count: 4 }, stored: { groups: [] }, parts: [] }))).toEqual([
      ['rows-present', null, null, '-1'],
      ['batch-total', null, 'USD', '-4317.08'],
      ['batch-count', null, null, '-4'],
    ]);
    expect(failed(reconcile({ list: null, stored: { groups: [] }, parts: [] }))).toEqual([['rows-present', null, null, '-1']]);
    const r = reconcile({ list: { currency: 'EUR', total: '10', count: 1 }, stored: { groups: [g('a', 'EUR', '', 1, '10'), g('a', 'USD', '', 1, '3')] }, parts: [part({ name: 'a', kind: 'csv', parsedRows: 2 })] });
    expect(failed(r)).toEqual([['batch-total', null, 'USD', '3']]);
  });

  it('checks a loaded GL CSV against its bundle IIF line for line and per account, and the IIF against the BatchTotal', () => {
    const iif = part({ name: 'b.iif', kind: 'iif', entry: true, loaded: false, parsedRows: 2, totals: { USD: '150' }, accounts: { '6100': '100', '6200': '50' } });
    const gl = part({ name: 'b_GL.csv', kind: 'csv', entry: true, parsedRows: 2 });
    const r = reconcile({ list: { currency: 'USD', total: '150', count: 1 }, stored: { groups: [g('b_GL.csv', 'USD', '6100', 1, '120'), g('b_GL.csv', 'USD', '6300', 1, '30')] }, parts: [iif, gl] });
    expect(failed(r)).toEqual([
      ['gl-vs-iif-account', 'b_GL.csv', '6100', '20'],
      ['gl-vs-iif-account', 'b_GL.csv', '6200', '-50'],
      ['gl-vs-iif-account', 'b_GL.csv', '6300', '30'],
    ]);
  });
});

describe('a re-load against the load it replaced', () => {
  it('is worth an event only when the rows or totals differ, with both figures', () => {
    expect(reloadDifference({ rows: 0, totals: {} }, { rows: 3, totals: { EUR: '1' } })).toBeNull();
    expect(reloadDifference({ rows: 3, totals: { EUR: '10.50' } }, { rows: 3, totals: { EUR: '10.5' } })).toBeNull();
    expect(reloadDifference({ rows: 3, totals: { EUR: '10.50' } }, { rows: 2, totals: { EUR: '10.5' } })).toEqual({ previous: { rows: 3, totals: { EUR: '10.50' } }, current: { rows: 2, totals: { EUR: '10.5' } } });
    expect(reloadDifference({ rows: 3, totals: { EUR: '10.50' } }, { rows: 3, totals: { EUR: '10.5', USD: '0.01' } })).not.toBeNull();
  });
});
