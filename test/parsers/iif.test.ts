import { existsSync } from 'node:fs';
import { Writable } from 'node:stream';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { IifUnbalancedError } from '../../parsers/errors.js';
import { parseIif, readIif, type IifBlock } from '../../parsers/iif.js';
import { conformance } from '../../parsers/iif-conformance.js';
import { splitIifLine } from '../../parsers/iif-fields.js';
import { newTally } from '../../parsers/tally.js';
import { chunks, collect, ctx, parseErrorOf } from './helpers.js';

const blocks = async (text: string | Buffer): Promise<IifBlock[]> =>
  (await collect(readIif(chunks(text, 7), 'x.iif'))).flatMap((i) => (i.type === 'transaction' ? [i.block] : []));

const HEADERS = '!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\n!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO\n!ENDTRNS\n';

describe('IIF field splitting', () => {
  it.each([
    ['a\tb\t\tc', ['a', 'b', '', 'c']],
    ['TRNS,"Kate, Spraug",180.00', ['TRNS', 'Kate, Spraug', '180.00']],
    ['SPL\t"Smith, Tammy " M (PP)"\tx', ['SPL', 'Smith, Tammy " M (PP)', 'x']],
    ['SPL,143731 : purchased 6" wrap around,UB', ['SPL', '143731 : purchased 6" wrap around', 'UB']],
    ['SPL\t"1 Ticket for \u201cACME\u201d Beans"" Symposium | "\tLinda', ['SPL', '1 Ticket for \u201cACME\u201d Beans" Symposium |', 'Linda']],
    ['"TRNS"\t"  "\t""\t"x"', ['TRNS', '', '', 'x']],
    ['ENDTRNS\t\t', ['ENDTRNS', '', '']],
  ])('%j', (line, fields) => {
    expect(splitIifLine(line)).toEqual(fields);
  });
});

describe('IIF structure', () => {
  it('reads balanced BILL blocks: the SPL rows are the transactions (TRNS is their payable) and carry the total', async () => {
    const text = HEADERS + 'TRNS\tT1\tBILL\t03/14/2025\tAccounts Payable\tZoë Müller\t-150.25\tR1\tTrip\nSPL\tE1\tBILL\t03/01/2025\t6100\tLufthansa\t100.00\tR1\tFlight\nSPL\tE2\tBILL\t03/02/2025\t6110\tHotel\t50.25\tR1\tHotel\nENDTRNS\n';
    const tally = newTally();
    const rows = await collect(parseIif(chunks(text, 5), ctx('x.iif', { defaultCurrency: 'EUR' }), tally));
    expect(rows.map((r) => [r.lineNumber, r.amount, r.debitCredit, r.accountCode, r.entryId, r.reportId, r.employeeName, r.currency])).toEqual([
      [5, '100', 'DR', '6100', 'E1', 'R1', 'Zoë Müller', 'EUR'],
      [6, '50.25', 'DR', '6110', 'E2', 'R1', 'Zoë Müller', 'EUR'],
    ]);
    expect(rows[0]?.rowKey).toBe('ln:5');
    expect(rows[0]?.raw).toMatchObject({ RECORD: 'SPL', MEMO: 'Flight' });
    expect(tally.rows).toBe(2);
    expect(Object.fromEntries([...tally.accounts].map(([a, v]) => [a, v.toFixed()]))).toEqual({ '6100': '100', '6110': '50.25' });
    expect(Object.fromEntries([...tally.totals].map(([c, v]) => [c, v.toFixed()]))).toEqual({ EUR: '150.25' });
  });

  it('rejects an unbalanced block, naming its lines', async () => {
    const text = HEADERS + 'TRNS\t\tBILL\t1/1/25\tAP\tX\t-10\t\t\nSPL\t\tBILL\t1/1/25\t6100\tX\t10\t\t\nENDTRNS\nTRNS\t\tBILL\t1/1/25\tAP\tX\t-10\t\t\nSPL\t\tBILL\t1/1/25\t6100\tX\t9.99\t\t\nENDTRNS\n';
    const err = await parseErrorOf(parseIif(chunks(text), ctx('x.iif'), newTally()));
    expect(err).toBeInstanceOf(IifUnbalancedError);
    expect(err).toMatchObject({ firstLine: 7, lastLine: 9, imbalance: '-0.01', file: 'x.iif', line: 7, field: 'AMOUNT' });
    expect(err.message).toContain('lines 7-9');
    // The lenient reader still shows the block, with its imbalance.
    expect((await blocks(text)).map((b) => b.imbalance)).toEqual([null, '-0.01']);
  });

  it('handles repeated ENDTRNS, a block without ENDTRNS, blank rows, bare CR line ends and padded headers', async () => {
    const text = '!TRNS\tACCNT\tAMOUNT\t\t\r!SPL\tACCNT\tAMOUNT\t\t\r!ENDTRNS\t\t\r\rENDTRNS\rTRNS\t1\t5\rSPL\t2\t-5\rTRNS\t1\t(3.00)\rSPL\t2\t--3.00\r\t\t\rENDTRNS\rENDTRNS\r';
    const got = await blocks(text);
    expect(got.map((b) => [b.firstLine, b.lastLine, b.closed, b.rows.length, b.imbalance])).toEqual([
      [6, 7, false, 2, null],
      [8, 11, true, 2, '-6'],
    ]);
  });

  it('reads comma-delimited files and keeps list records (VEND under !VTYPE) as metadata', async () => {
    const text = '"!VTYPE","NAME"\n"VEND","Sales Tax"\n!CUST,NAME\nCUST,"Bridgitte, Halifax"\n!TRNS,ACCNT,NAME,AMOUNT\n!SPL,ACCNT,NAME,AMOUNT\n!ENDTRNS\nTRNS,1500,"Bridgitte, Halifax",42.00\nSPL,4010,"Bridgitte, Halifax",-42.00\nENDTRNS\n';
    const tally = newTally();
    const rows = await collect(parseIif(chunks(text), ctx('c.iif'), tally));
    expect(rows.map((r) => [r.vendor, r.amount])).toEqual([['Bridgitte, Halifax', '-42']]);
    expect(tally.lists).toEqual([
      { kind: 'VEND', header: 'VTYPE', line: 2, fields: { NAME: 'Sales Tax' } },
      { kind: 'CUST', header: 'CUST', line: 4, fields: { NAME: 'Bridgitte, Halifax' } },
    ]);
  });

  it('reads Windows-1252 memos without a declaration', async () => {
    const text = iconv.encode(HEADERS + 'TRNS\t\tBILL\t1/1/25\tAP\t\t-1\t\t\u201cACME \u2018School\u2019\u201d\nSPL\t\tBILL\t1/1/25\tX\t\t1\t\t\nENDTRNS\n', 'windows-1252');
    expect((await blocks(text))[0]?.rows[0]?.fields.MEMO).toBe('\u201cACME \u2018School\u2019\u201d');
  });

  it('names file, line and field for a malformed amount or date, and for rows out of place', async () => {
    const bad = (row: string) => parseErrorOf(readIif(chunks(HEADERS + row), 'b.iif'));
    expect(await bad('TRNS\t\tBILL\t1/1/25\tAP\t\t(1.00\t\t\n')).toMatchObject({ code: 'amount', file: 'b.iif', line: 4, field: 'AMOUNT' });
    expect(await bad('TRNS\t\tBILL\t31/31/25\tAP\t\t1\t\t\n')).toMatchObject({ code: 'date', line: 4, field: 'DATE' });
    expect(await bad('SPL\t\tBILL\t1/1/25\tAP\t\t1\t\t\n')).toMatchObject({ code: 'syntax', line: 4 });
    expect(await parseErrorOf(readIif(chunks('TRNS\t1\n'), 'b.iif'))).toMatchObject({ code: 'syntax', line: 1 });
  });
});

const FIXTURES = '../shared/external/iif-fixtures';

describe.skipIf(!existsSync(FIXTURES))('IIF conformance on the shared real-world fixtures', () => {
  it('meets every expectation in expectations.json', async () => {
    let output = '';
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        output += chunk.toString();
        done();
      },
    });
    const code = await conformance(FIXTURES, out);
    expect(output).not.toContain('FAIL');
    expect(code).toBe(0);
  });
});
