import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../parsers/csv.js';
import { CsvProfileSchema, QUICKBOOKS_GL_CSV_PROFILE, type CsvProfileInput } from '../../parsers/csv-profile.js';
import { selectProfile } from '../../parsers/profile-select.js';
import { newTally } from '../../parsers/tally.js';
import { SANDBOX_CSV_PROFILE, generateLines, renderBatchFile, type BatchSpec } from '../../sandboxes/files/index.js';
import { Money, moneyText } from '../../src/money.js';
import { amounts, chunks, collect, ctx, parseErrorOf } from './helpers.js';

const profile = (p: CsvProfileInput) => CsvProfileSchema.parse(p);
const rowsOf = (text: string | Buffer, p: CsvProfileInput, extra = {}) => collect(parseCsv(chunks(text, 13), profile(p), ctx('c.csv', extra), newTally()));

describe('CSV profiles: each option', () => {
  it('reads the sandbox layout (semicolons, comma decimals, dd.MM.yyyy, BOM) back to the generated lines', async () => {
    const spec: BatchSpec = { batchId: '5', batchName: 'B', closeDate: '2025-03-14', seed: 3, reports: 3, linesPerReport: 4 };
    const file = renderBatchFile('csv', spec);
    const tally = newTally();
    const rows = await collect(parseCsv(chunks(file.bytes, 17), SANDBOX_CSV_PROFILE, ctx(file.fileName), tally));
    const lines = generateLines(spec);
    expect(rows.map((r) => [r.employeeName, r.reportName, r.description, r.vendor, r.transactionDate, r.amount, r.currency])).toEqual(
      lines.map((l) => [l.employeeName, l.reportName, l.description, l.vendor, l.transactionDate, moneyText(new Money(l.amount)), l.currency]),
    );
    expect(rows[0]).toMatchObject({ lineNumber: 2, rowKey: 'ln:2', reportId: lines[0]?.reportId, entryId: lines[0]?.entryId });
    expect(Object.fromEntries([...tally.totals].map(([c, v]) => [c, moneyText(v)]))).toEqual(file.totals);
  });

  it('delimiter and quote', async () => {
    const rows = await rowsOf("amount|memo\n1.5|'a|b'\n", { delimiter: '|', quote: "'", columns: { amount: 'amount', description: 'memo' } });
    expect(rows.map((r) => r.description)).toEqual(['a|b']);
    const noQuote = await rowsOf('amount,memo\n2,"x\n', { quote: '', columns: { amount: 1, description: 2 } });
    expect(noQuote.map((r) => r.description)).toEqual(['"x']);
    const tab = await rowsOf('a\tb\n1\t2\n', { delimiter: '\t', columns: { amount: 'b' } });
    expect(amounts(tab)).toEqual(['2']);
  });

  it('no header row: columns by 1-based position, raw keyed by position', async () => {
    const rows = await rowsOf('E1;Zoë;12,00\nE2;José;3,50\n', { delimiter: ';', header: false, decimalSeparator: ',', columns: { employeeId: 1, employeeName: 2, amount: 3 } });
    expect(rows.map((r) => [r.lineNumber, r.employeeId, r.employeeName, r.amount])).toEqual([[1, 'E1', 'Zoë', '12'], [2, 'E2', 'José', '3.5']]);
    expect(rows[0]?.raw).toEqual({ '1': 'E1', '2': 'Zoë', '3': '12,00' });
  });

  it('header names match case-insensitively; raw is keyed by header name', async () => {
    const rows = await rowsOf('Amount,Memo\n1,x\n', { columns: { amount: 'AMOUNT', description: 'memo' } });
    expect(rows[0]?.raw).toEqual({ Amount: '1', Memo: 'x' });
  });

  it('encodings: UTF-8 with and without BOM, Windows-1252 explicit and detected', async () => {
    const text = 'Name,Amount\nZoë “Z” Müller,1\n';
    const p = { columns: { employeeName: 'Name', amount: 'Amount' } };
    const names = async (b: Buffer, encoding: 'utf-8' | 'windows-1252' | 'auto') => (await rowsOf(b, { ...p, encoding })).map((r) => r.employeeName);
    const utf8 = Buffer.from(text, 'utf8');
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]);
    const cp = iconv.encode(text, 'windows-1252');
    for (const [bytes, enc] of [[utf8, 'utf-8'], [utf8, 'auto'], [bom, 'utf-8'], [bom, 'auto'], [cp, 'windows-1252'], [cp, 'auto']] as const) {
      expect(await names(bytes, enc)).toEqual(['Zoë “Z” Müller']);
    }
    expect(await parseErrorOf(parseCsv(chunks(cp), profile({ ...p, encoding: 'utf-8' }), ctx('w.csv'), newTally()))).toMatchObject({ code: 'encoding', line: 2 });
  });

  it('date formats', async () => {
    const dates = async (value: string, dateFormat: string) => (await rowsOf(`d,a\n${value},1\n`, { dateFormat, columns: { transactionDate: 'd', amount: 'a' } }))[0]?.transactionDate;
    expect(await dates('14.03.2025', 'dd.MM.yyyy')).toBe('2025-03-14');
    expect(await dates('3/4/25', 'M/d/yy')).toBe('2025-03-04');
    expect(await dates('', 'M/d/yy')).toBeNull();
    const err = await parseErrorOf(parseCsv(chunks('d,a\n2025-03-14,1\n'), profile({ dateFormat: 'dd.MM.yyyy', columns: { transactionDate: 'd', amount: 'a' } }), ctx('d.csv'), newTally()));
    expect(err).toMatchObject({ code: 'date', file: 'd.csv', line: 2, field: 'd' });
  });

  it('decimal and thousands separators', async () => {
    expect(amounts(await rowsOf('a\n"1.234.567,89"\n', { decimalSeparator: ',', thousandsSeparator: '.', columns: { amount: 'a' } }))).toEqual(['1234567.89']);
    expect(amounts(await rowsOf('a\n"1,234.5"\n', { thousandsSeparator: ',', columns: { amount: 'a' } }))).toEqual(['1234.5']);
    expect(amounts(await rowsOf("a\n1'234.50\n", { thousandsSeparator: "'", columns: { amount: 'a' } }))).toEqual(['1234.5']);
    const err = await parseErrorOf(parseCsv(chunks('x,a\n1,"1,5"\n'), profile({ columns: { amount: 'a' } }), ctx('m.csv'), newTally()));
    expect(err).toMatchObject({ code: 'amount', file: 'm.csv', line: 2, field: 'a' });
  });

  it('debit/credit columns, a DR/CR column with negateCredits, and currency fallbacks', async () => {
    const dc = await rowsOf('Debit,Credit\n10.00,\n,4.50\n', { columns: { debit: 'Debit', credit: 'Credit' } });
    expect(dc.map((r) => [r.amount, r.debitCredit])).toEqual([['10', 'DR'], ['-4.5', 'CR']]);
    const neg = await rowsOf('amt,dc\n10,D\n4.5,Cr\n', { negateCredits: true, columns: { amount: 'amt', debitCredit: 'dc' } });
    expect(neg.map((r) => [r.amount, r.debitCredit])).toEqual([['10', 'DR'], ['-4.5', 'CR']]);
    expect((await rowsOf('a\n1\n', { defaultCurrency: 'CHF', columns: { amount: 'a' } }))[0]?.currency).toBe('CHF');
    expect((await rowsOf('a\n1\n', { columns: { amount: 'a' } }, { defaultCurrency: 'EUR' }))[0]?.currency).toBe('EUR');
    expect(await parseErrorOf(parseCsv(chunks('a,dc\n1,X\n'), profile({ columns: { amount: 'a', debitCredit: 'dc' } }), ctx(), newTally()))).toMatchObject({ code: 'value', field: 'dc' });
  });

  it('multi-line quoted records are numbered by their first line; blank lines are skipped', async () => {
    const rows = await rowsOf('a,m\r\n\r\n1,"two\r\nlines"\r\n2,x\r\n', { columns: { amount: 'a', description: 'm' } });
    expect(rows.map((r) => [r.lineNumber, r.description])).toEqual([[3, 'two\nlines'], [5, 'x']]);
  });

  it('a profile naming a column the header lacks, or an unclosed quote, is a typed error', async () => {
    expect(await parseErrorOf(parseCsv(chunks('a,b\n1,2\n'), profile({ columns: { amount: 'Amount' } }), ctx('p.csv'), newTally()))).toMatchObject({ code: 'profile', line: 1, field: 'amount' });
    expect(await parseErrorOf(parseCsv(chunks('a,b\n1,"2\n'), profile({ columns: { amount: 'a' } }), ctx('q.csv'), newTally()))).toMatchObject({ code: 'syntax', file: 'q.csv' });
    expect(await parseErrorOf(parseCsv(chunks(''), profile({ columns: { amount: 'a' } }), ctx('e.csv'), newTally()))).toMatchObject({ code: 'syntax' });
  });

  it('reads the QuickBooks bundle GL CSV with the built-in profile', async () => {
    const rows = await rowsOf('Date,Account,Debit,Credit,Memo,Employee,Vendor,Report ID,Entry ID,Expense Type,Currency\n03/01/2025,6100,"1,100.00",,"Flight, ""LH""",Zoë,Lufthansa,R1,E1,Airfare,usd\n', QUICKBOOKS_GL_CSV_PROFILE);
    expect(rows[0]).toMatchObject({ transactionDate: '2025-03-01', accountCode: '6100', amount: '1100', description: 'Flight, "LH"', currency: 'USD', rowKey: 'ln:2' });
  });
});

describe('CSV profile schema and selection', () => {
  it('applies defaults and refuses unknown keys and contradictions', () => {
    const p = CsvProfileSchema.parse({ columns: { amount: 'a' } });
    expect(p).toMatchObject({ delimiter: ',', quote: '"', encoding: 'auto', header: true, dateFormat: 'yyyy-MM-dd', decimalSeparator: '.', thousandsSeparator: '' });
    expect(CsvProfileSchema.safeParse({ columns: { amount: 'a' }, delimitter: ';' }).success).toBe(false);
    expect(CsvProfileSchema.safeParse({ columns: {} }).success).toBe(false);
    expect(CsvProfileSchema.safeParse({ columns: { amount: 'a', debit: 'd' } }).success).toBe(false);
    expect(CsvProfileSchema.safeParse({ decimalSeparator: ',', thousandsSeparator: ',', columns: { amount: 'a' } }).success).toBe(false);
    expect(CsvProfileSchema.safeParse({ header: false, columns: { amount: 'a' } }).success).toBe(false);
    expect(CsvProfileSchema.safeParse({ dateFormat: 'dd.MM', columns: { amount: 1 } }).success).toBe(false);
  });

  it('chooses a profile per batch by type, payment method or file name; first match wins', () => {
    const rules = [
      { profile: 'cards', type: 'Card Program' },
      { profile: 'ap', paymentMethod: 'Company Check (via Accounts Payable)', fileName: '\\.csv$' },
      { profile: 'fallback' },
    ];
    expect(selectProfile(rules, { type: 'card program' })).toBe('cards');
    expect(selectProfile(rules, { type: 'Employee', paymentMethod: 'Company Check (via Accounts Payable)', fileName: 'x.csv' })).toBe('ap');
    expect(selectProfile(rules, { type: 'Employee', paymentMethod: 'Company Check (via Accounts Payable)', fileName: 'x.zip' })).toBe('fallback');
    expect(selectProfile(rules.slice(0, 2), { type: 'Employee' })).toBeNull();
  });
});
