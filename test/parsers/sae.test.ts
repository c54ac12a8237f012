import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Money, ZERO, moneyText, totalsByCurrency } from '../../src/money.js';
import { SaeHeaderMismatchError } from '../../parsers/errors.js';
import { SAE_COL, parseSae } from '../../parsers/sae.js';
import { newTally } from '../../parsers/tally.js';
import { generateLines, renderBatchFile, writeSaeFile, type BatchSpec } from '../../sandboxes/files/index.js';
import { chunks, collect, ctx, parseErrorOf, reconcileParsed } from './helpers.js';

const spec: BatchSpec = { batchId: '77', batchName: 'Weekly', closeDate: '2025-03-14', seed: 11, reports: 4, linesPerReport: 3 };
const saeText = (): string => renderBatchFile('sae', spec).bytes.toString('utf8');

/** Replaces field `col` (1-based) of line `line` (1-based) of an SAE text. */
function withField(text: string, line: number, col: number, value: string): string {
  const lines = text.split('\n');
  const f = (lines[line - 1] ?? '').split('|');
  f[col - 1] = value;
  lines[line - 1] = f.join('|');
  return lines.join('\n');
}

describe('SAE', () => {
  it('maps the important fields by name and keeps the raw columns', async () => {
    const tally = newTally();
    const rows = await collect(parseSae(chunks(saeText(), 999), ctx('e.txt'), tally));
    const lines = generateLines(spec);
    expect(rows).toHaveLength(12);
    expect(rows.map((r) => [r.employeeId, r.employeeName, r.reportId, r.reportName, r.entryId, r.expenseType, r.description, r.vendor, r.accountCode, r.transactionDate, r.amount, r.currency])).toEqual(
      lines.map((l) => [l.employeeId, l.employeeName, l.reportId, l.reportName, l.entryId, l.expenseType, l.description, l.vendor, l.accountCode, l.transactionDate, moneyText(new Money(l.amount)), l.currency]),
    );
    const first = rows[0];
    expect(first).toMatchObject({ sourceBatchId: '77', lineNumber: 2, debitCredit: 'DR', paymentType: 'CASH' });
    // Identity is the journal key (column 170), never report + entry.
    expect(first?.rowKey).toBe(`jk:${first?.journalKey}`);
    expect(first?.raw).toMatchObject({ Constant: 'DETAIL', 'Journal Amount': lines[0]?.amount, 'Employee Last Name': expect.any(String) });
    expect(tally.header).toMatchObject({ recordCount: 12, batchId: '77', batchDate: '2025-03-14' });
    expect(reconcileParsed(rows, { name: 'e.txt', kind: 'sae', tally }).status).toBe('reconciled');
  });

  it('accepts DETAIL lines of 399 fields and refuses other counts', async () => {
    const text = saeText();
    const short = text.replace(/\|\n/g, '\n'); // drop the last (empty) field of every line
    expect(await collect(parseSae(chunks(short), ctx(), newTally()))).toHaveLength(12);
    const shorter = short.replace(/\|\n/, '\n');
    expect(await parseErrorOf(parseSae(chunks(shorter), ctx('s.txt'), newTally()))).toMatchObject({ code: 'syntax', file: 's.txt', line: 2 });
  });

  it('refuses a DETAIL line of one field more than the layout, and counts fields filled beyond the last it reads', async () => {
    const text = saeText();
    const long = text.replace(/(\nDETAIL[^\n]*)\n/, '$1|x\n'); // line 2 gets a 401st field
    const err = await parseErrorOf(parseSae(chunks(long), ctx('l.txt'), newTally()));
    expect(err).toMatchObject({ code: 'syntax', file: 'l.txt', line: 2 });
    expect(err.message).toContain('more than 400 fields');
    // Line 3 filled in every column: 400 fields are read as a row.
    const lines = text.split('\n');
    lines[2] = (lines[2] ?? '').split('|').map((v, i) => (v === '' && i > SAE_COL.journalKey ? 'y' : v)).join('|');
    expect(await collect(parseSae(chunks(lines.join('\n')), ctx(), newTally()))).toHaveLength(12);
  });

  it('a record count that disagrees with the DETAIL lines is a SaeHeaderMismatchError', async () => {
    const text = withField(saeText(), 1, 3, '13');
    const err = await parseErrorOf(parseSae(chunks(text), ctx('h.txt'), newTally()));
    expect(err).toBeInstanceOf(SaeHeaderMismatchError);
    expect(err).toMatchObject({ file: 'h.txt', line: 1, field: 'Record_Count', expected: '13 records', actual: '12' });
  });

  it('a journal total that disagrees is reported by reconciliation with the difference', async () => {
    const text = saeText();
    const header = text.split('\n')[0]?.split('|') ?? [];
    const stated = (Number(header[3]) + 0.01).toFixed(2);
    const tally = newTally();
    const rows = await collect(parseSae(chunks(withField(text, 1, 4, stated)), ctx('t.txt'), tally));
    const rec = reconcileParsed(rows, { name: 't.txt', kind: 'sae', tally });
    expect(rec.status).toBe('mismatch');
    expect(rec.checks.filter((c) => !c.ok)).toEqual([expect.objectContaining({ check: 'file-header-total', file: 't.txt', expected: stated, difference: '-0.01' })]);
  });

  it('names line and field for a bad amount, a bad DR/CR, a bad date, a foreign batch id', async () => {
    const text = saeText();
    const err = (t: string) => parseErrorOf(parseSae(chunks(t), ctx('b.txt'), newTally()));
    expect(await err(withField(text, 3, 169, '12,50'))).toMatchObject({ code: 'amount', line: 3, field: 'Journal Amount' });
    expect(await err(withField(text, 4, 168, 'XX'))).toMatchObject({ code: 'value', line: 4, field: 'Journal Debit or Credit' });
    expect(await err(withField(text, 5, 64, '2025-13-01'))).toMatchObject({ code: 'date', line: 5, field: 'Report Entry Transaction Date' });
    expect(await err(withField(text, 2, 2, '78'))).toMatchObject({ code: 'header-mismatch', line: 2, field: 'Batch ID' });
    expect(await err('DETAIL|1\n')).toMatchObject({ code: 'syntax', line: 1 });
    expect(await err('')).toMatchObject({ code: 'syntax', line: 1 });
  });

  it('stores amounts in canonical text and totals them exactly per currency, over many batches of lines', async () => {
    const written = ['+3', '.5', '-0.00', ' 007.100 ', '-12.345678', '99999999999999999999999.99999999', '0.000000010', '1.', '-.25', '10', '-3', '0.1', '0.2'];
    let text = saeText();
    written.slice(0, 12).forEach((amount, i) => {
      text = withField(text, i + 2, SAE_COL.amount + 1, amount);
      text = withField(text, i + 2, SAE_COL.reimbursementCurrency + 1, i % 3 === 0 ? 'EUR' : i % 3 === 1 ? 'USD' : '');
    });
    const tally = newTally();
    // 100-byte chunks: about ten batches of lines for each line.
    const rows = await collect(parseSae(chunks(text, 100), ctx('m.txt', { defaultCurrency: 'GBP' }), tally));
    expect(rows.map((r) => r.amount)).toEqual(written.slice(0, 12).map((a) => moneyText(new Money(a.trim()))));
    expect(rows.map((r) => r.amount).slice(0, 7)).toEqual(['3', '0.5', '0', '7.1', '-12.345678', '99999999999999999999999.99999999', '0.00000001']);
    const expected = totalsByCurrency(rows);
    expect([...tally.totals.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [currency, total] of expected) expect(moneyText(tally.totals.get(currency) ?? ZERO)).toBe(moneyText(total));
  });

  it('has the rows read so far in the totals when the consumer stops early', async () => {
    const tally = newTally();
    const taken = [];
    for await (const row of parseSae(chunks(saeText(), 1 << 20), ctx(), tally)) {
      taken.push(row);
      if (taken.length === 5) break;
    }
    const expected = totalsByCurrency(taken);
    expect(tally.rows).toBe(5);
    expect([...tally.totals].map(([c, t]) => [c, moneyText(t)])).toEqual([...expected].map(([c, t]) => [c, moneyText(t)]));
  });

  it('writeSaeFile streams the same format, with a header total equal to the lines', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sae-'));
    try {
      const path = join(dir, 'big.txt');
      const { bytes, total } = await writeSaeFile(path, { ...spec, detailLines: 500 });
      const data = await readFile(path);
      expect(data.length).toBe(bytes);
      const tally = newTally();
      const rows = await collect(parseSae(chunks(data), ctx(), tally));
      expect(rows).toHaveLength(500);
      expect(tally.header?.total).toBe(total);
      expect(reconcileParsed(rows, { name: 'test-file', kind: 'sae', tally }).status).toBe('reconciled');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
