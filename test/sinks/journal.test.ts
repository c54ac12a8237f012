// The journal export's pure parts: balancing lines, the totals check, DATEV's field rules, configuration problems.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { SftpSinkConfigSchema } from '../../sinks/sftp/config.js';
import { BUILT_IN_JOURNAL, FormatSchema, type DatevFormat, type JournalSettings } from '../../sinks/journal/config.js';
import { datevText, renderDatev } from '../../sinks/journal/datev.js';
import { journalLines, lineTotals, type StoredJournal, type StoredRow } from '../../sinks/journal/lines.js';
import { renderFormat, renderJournal } from '../../sinks/journal/render.js';
import { EXAMPLE_JOURNAL } from './journal-example.js';
import { representable } from '../../sinks/journal/text.js';
import { SinkError } from '../../sinks/sink.js';

function row(over: Partial<StoredRow>): StoredRow {
  return {
    employeeId: 'E1', employeeName: 'Zoë Müller', reportId: 'R1', reportKey: null, reportName: 'Trip', entryId: '1', journalKey: null,
    transactionDate: '2026-11-03', expenseType: 'Hotel', description: 'Night', vendor: 'Hôtel du Café', accountCode: '6110', debitCredit: 'DR',
    amount: '100.10', currency: 'EUR', paymentType: 'Cash', raw: {}, ...over,
  };
}

function journal(rows: StoredRow[], totals?: Record<string, string>): StoredJournal {
  const sums: Record<string, string> = {};
  for (const [c, v] of lineTotals(rows.map((r) => ({ ...r, lineType: 'expense' as const }))).expense) sums[c] = v.toFixed();
  return { company: 'acme', concurBatchId: 'B1', batchName: 'Reimbursements EUR', closeDate: new Date('2026-11-20T10:00:00.123Z'), currency: 'EUR', rows, totals: totals ?? sums };
}

const datev = FormatSchema.parse({ type: 'datev', advisorNumber: 1001, clientNumber: 1 }) as DatevFormat;
const payable = { account: '1600', byEmployee: { E2: '70002' } };
const settings: JournalSettings = { formats: [datev], balanced: true, payable };

describe('journal lines', () => {
  it('adds one payable line per report and currency (rows without a report grouped per employee), so each group sums to zero', () => {
    const rows = [
      row({ amount: '100.10' }),
      row({ entryId: '2', amount: '-20.05' }),
      row({ entryId: '3', amount: '5', currency: 'USD' }),
      row({ reportId: null, employeeId: 'E2', entryId: null, amount: '7.777' }),
    ];
    const lines = journalLines(journal(rows), payable);
    expect(lines.map((l) => [l.lineType, l.reportId, l.currency, l.amount, l.accountCode])).toEqual([
      ['expense', 'R1', 'EUR', '100.10', '6110'],
      ['expense', 'R1', 'EUR', '-20.05', '6110'],
      ['payable', 'R1', 'EUR', '-80.05', '1600'],
      ['expense', 'R1', 'USD', '5', '6110'],
      ['payable', 'R1', 'USD', '-5', '1600'],
      ['expense', null, 'EUR', '7.777', '6110'],
      ['payable', null, 'EUR', '-7.777', '70002'],
    ]);
    expect([...lineTotals(lines).all.values()].every((v) => v.isZero())).toBe(true);
    expect(journalLines(journal(rows), null).every((l) => l.lineType === 'expense')).toBe(true);
  });

  it('refuses to deliver a file whose totals differ from the stored totals', () => {
    const j = journal([row({})], { EUR: '100.11' });
    expect(() => renderFormat(j, BUILT_IN_JOURNAL.formats[0]!, BUILT_IN_JOURNAL)).toThrow(/the file's totals \(EUR 100.1\) differ from the stored totals \(EUR 100.11\)/);
    expect(renderFormat(journal([row({})]), BUILT_IN_JOURNAL.formats[0]!, BUILT_IN_JOURNAL).name).toBe('B1.generic.csv');
  });
});

describe('DATEV', () => {
  it('keeps texts within Windows-1252 without control characters, quotes doubled, Buchungstext at most 60 characters', () => {
    expect(representable('Łódź 中 Zoë €', 'windows-1252')).toBe('?ódz ? Zoë €');
    expect(datevText('say "hi"\r\nnow')).toBe('"say ""hi"" now"');
    expect([...datevText('x'.repeat(80), 60)]).toHaveLength(62);
    const j = journal([row({ description: 'a\tb', vendor: 'Łódź "Nord"\n', expenseType: 'Taxi'.repeat(20) })]);
    const { bytes } = renderDatev(j, journalLines(j, null), datev, payable);
    expect([...bytes].every((b) => b >= 0x20 || b === 0x0d || b === 0x0a)).toBe(true);
    const text = iconv.decode(bytes, 'windows-1252').split('\r\n')[2]!;
    expect(text.endsWith(`;"Zoë Müller: ${'Taxi'.repeat(12)}"`)).toBe(true);
  });

  it('writes the header record, the amount with a decimal comma and S/H, Belegdatum DDMM, Konto/Gegenkonto', () => {
    const j = journal([row({}), row({ entryId: '2', amount: '-3.5', employeeId: 'E2', transactionDate: '2026-01-07' })]);
    const text = iconv.decode(renderFormat(j, datev, settings).bytes, 'windows-1252');
    const [head, , first, second] = text.split('\r\n');
    expect(head).toBe('"EXTF";700;21;"Buchungsstapel";13;20261120100000123;;"RE";"";"";1001;1;20260101;4;20260107;20261103;"Reimbursements EUR";"";1;0;0;"EUR";;"";;;"";;;"";""');
    expect(first).toBe('100,10;"S";"EUR";;;"";6110;1600;"";0311;"R1";"";;"Zoë Müller: Hotel Hôtel du Café"');
    expect(second).toBe('3,50;"H";"EUR";;;"";6110;70002;"";0701;"R1";"";;"Zoë Müller: Hotel Hôtel du Café"');
  });

  it('names the row it cannot express: more than two decimals, a non-numeric account, two fiscal years', () => {
    const fail = (rows: StoredRow[]) => {
      try {
        renderFormat(journal(rows), datev, settings);
      } catch (e) {
        expect(e).toBeInstanceOf(SinkError);
        expect((e as SinkError).retryable).toBe(false);
        return (e as Error).message;
      }
      throw new Error('no error');
    };
    expect(fail([row({ amount: '1.005', entryId: '9' })])).toMatch(/report R1 entry 9: amount 1.005 has more than two decimals/);
    expect(fail([row({ accountCode: 'Travel:Hotel', journalKey: 'J7' })])).toMatch(/journal key J7: account "Travel:Hotel" is not a DATEV account number; map it under accounts/);
    expect(fail([row({}), row({ entryId: '2', transactionDate: '2027-01-02' })])).toMatch(/span two fiscal years/);
    const mapped = FormatSchema.parse({ type: 'datev', advisorNumber: 1001, clientNumber: 1, accounts: { 'Travel:Hotel': '4660' } });
    expect(iconv.decode(renderFormat(journal([row({ accountCode: 'Travel:Hotel' })]), mapped, settings).bytes, 'windows-1252')).toContain(';4660;1600;');
  });
});

describe('journal settings', () => {
  const base = { host: 'h', username: 'u', password: 'p', insecureSkipHostKeyCheck: true };
  const problems = (extra: object) => {
    const r = SftpSinkConfigSchema.safeParse({ ...base, ...extra });
    return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('accepts the defaults and names what is missing or contradictory', () => {
    expect(problems({ deliver: ['entries', 'normalized'] })).toEqual([]);
    expect(problems({ deliver: 'normalized', formats: [{ type: 'datev', advisorNumber: 1001, clientNumber: 1 }] })).toEqual(['payable: the datev format needs payable.account (the Gegenkonto)']);
    expect(problems({ balanced: true })).toEqual(['payable: balanced: true needs payable.account']);
    expect(problems({ formats: [{ type: 'csv' }, { type: 'csv' }] })).toEqual(['formats.1.name: format name "generic" is used twice; give each format a name', 'formats.1.fileName: file name "{batchId}.generic.csv" is used twice']);
    expect(problems({ formats: [{ type: 'csv', columns: ['amount', 'nope'], decimalSeparator: ',' }] })).toEqual([
      'formats.0.columns.1: unknown field "nope"; one of company, batchId, batchName, closeDate, lineType, employeeId, employeeName, reportId, reportKey, reportName, entryId, journalKey, transactionDate, expenseType, description, vendor, accountCode, debitCredit, amount, currency, paymentType or raw:<column>',
      'formats.0.delimiter: the delimiter and the decimal separator must differ',
    ]);
  });
});

describe('the README', () => {
  const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
  const block = (name: string) => {
    const m = new RegExp(`<!-- example: ${name} -->\\n\`\`\`\\w+\\n([\\s\\S]*?)\`\`\``).exec(readme);
    if (!m) throw new Error(`README has no example "${name}"`);
    return m[1]!;
  };

  it('shows the files its configuration example produces, byte for byte (line endings aside)', () => {
    const sink = SftpSinkConfigSchema.parse({ host: 'h', username: 'u', password: 'p', insecureSkipHostKeyCheck: true, ...(parseYaml(block('journal settings')) as object) });
    expect(sink.deliver).toEqual(['entries', 'normalized']);
    const files = renderJournal(EXAMPLE_JOURNAL, sink);
    expect(files.map((f) => f.format)).toEqual(['generic', 'jsonl', 'erp', 'datev']);
    for (const f of files) {
      const text = f.format === 'erp' || f.format === 'datev' ? iconv.decode(f.bytes, 'windows-1252') : f.bytes.toString('utf8');
      if (f.format === 'erp' || f.format === 'datev') expect(text.split('\r\n').slice(0, -1).every((l) => !l.includes('\n'))).toBe(true);
      expect(text.replace(/\r\n/g, '\n'), f.format).toBe(block(`journal ${f.format}`));
    }
  });
});
