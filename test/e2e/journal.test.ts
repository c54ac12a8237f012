// The normalized journal export as an accounting system receives it: the daemon delivers every batch kind (CSV,
// QuickBooks ZIP, SAE) with generic CSV, JSON Lines, a custom Windows-1252 CSV and DATEV files, read back from the
// drop and compared with what the database stored; a replay finds identical bytes; `erp-sync export` writes the same.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { afterAll, describe, expect, it } from 'vitest';
import { Money, moneyText, ZERO } from '../../src/money.js';
import { DATEV_COLUMNS } from '../../sinks/journal/datev.js';
import { dropContents, runCli, startWorld, type World } from './world.js';

interface DbRow {
  batch: string;
  kind: string;
  reportId: string | null;
  entryId: string | null;
  journalKey: string | null;
  employeeName: string | null;
  vendor: string | null;
  description: string | null;
  accountCode: string | null;
  transactionDate: string | null;
  amount: string;
  currency: string | null;
}

const FORMATS = [
  { type: 'csv' },
  { type: 'jsonl' },
  {
    type: 'csv',
    name: 'erp',
    fileName: '{batchId}_erp.csv',
    columns: [{ field: 'reportId', header: 'Beleg' }, 'entryId', 'journalKey', { field: 'transactionDate', header: 'Datum' }, 'employeeName', 'vendor', 'description', 'accountCode', { field: 'amount', header: 'Betrag' }, 'currency', 'lineType'],
    delimiter: ';',
    decimalSeparator: ',',
    dateFormat: 'dd.MM.yyyy',
    encoding: 'windows-1252',
    header: false,
    lineEnding: 'crlf',
  },
  { type: 'datev', advisorNumber: 29098, clientNumber: 55003, chartOfAccounts: '03', fiscalYearStart: '01-01' },
];

/** The fields both sides know, as comparable text. */
const key = (r: { reportId: string | null; entryId: string | null; journalKey: string | null; amount: string; currency: string | null; accountCode: string | null }) =>
  JSON.stringify([r.reportId ?? '', r.entryId ?? '', r.journalKey ?? '', new Money(r.amount).toFixed(), r.currency ?? '', r.accountCode ?? '']);

function sums(rows: Array<{ amount: string; currency: string | null }>): Record<string, string> {
  const m = new Map<string, Money>();
  for (const r of rows) m.set(r.currency ?? '', (m.get(r.currency ?? '') ?? ZERO).plus(r.amount));
  return Object.fromEntries([...m].sort().map(([c, v]) => [c, moneyText(v)]));
}

describe('normalized journal export', () => {
  let world: World | undefined;
  afterAll(() => world?.close());

  it('delivers one journal per format for every batch kind, equal to the stored rows and totals; replay and export give the same bytes', async () => {
    world = await startWorld();
    const config = JSON.parse(readFileSync(world.configPath, 'utf8'));
    Object.assign(config.companies[0].sinks[0], { deliver: ['entries', 'normalized'], formats: FORMATS, balanced: true, payable: { account: '1600', byEmployee: { E9999: '70001' } } });
    writeFileSync(world.configPath, JSON.stringify(config));
    const run = await runCli(world.configPath, ['run-once']).done;
    expect(run.code, run.output.slice(-3000)).toBe(0);

    const stored = await world.query<DbRow>(
      `SELECT b.concur_batch_id AS batch, (SELECT f.kind FROM files f WHERE f.batch_row_id = b.id AND f.parent_file_id IS NULL ORDER BY f.id DESC LIMIT 1) AS kind, t.report_id AS "reportId", t.entry_id AS "entryId", t.journal_key AS "journalKey", t.employee_name AS "employeeName",
              t.vendor, t.description, t.account_code AS "accountCode", to_char(t.transaction_date, 'YYYY-MM-DD') AS "transactionDate", t.amount::text AS amount, t.currency
       FROM transactions t JOIN batches b ON b.id = t.batch_row_id`,
    );
    const byBatch = new Map<string, DbRow[]>();
    for (const r of stored) byBatch.set(r.batch, [...(byBatch.get(r.batch) ?? []), r]);
    // Every file kind was loaded and exported.
    expect(new Set(stored.map((r) => r.kind))).toEqual(new Set(['csv', 'zip', 'sae']));

    const drop = dropContents(world.dropRoot);
    const fileOf = (batch: string, name: string) => {
      const path = [...drop.keys()].find((p) => p.includes(`_${batch}/`) && p.endsWith(`/${name}`));
      expect(path, `${name} of ${batch} in the drop`).toBeDefined();
      return { path: path!, bytes: readFileSync(join(world!.dropRoot, path!)) };
    };

    for (const [batch, rows] of byBatch) {
      const want = rows.map(key).sort();
      const totals = sums(rows);

      // Generic CSV: every field, a header, parsed back to the same rows; the balanced journal nets to zero per report and currency.
      const generic = parse(fileOf(batch, `${batch}.generic.csv`).bytes, { columns: true }) as Array<Record<string, string>>;
      const expense = generic.filter((l) => l.lineType === 'expense').map((l) => ({ ...l, currency: l.currency || null }) as unknown as DbRow);
      expect(expense.map(key).sort()).toEqual(want);
      expect(sums(expense)).toEqual(totals);
      expect(new Set(generic.map((l) => l.batchId))).toEqual(new Set([batch]));
      const perReport = new Map<string, Money>();
      for (const l of generic) perReport.set(`${l.reportId}|${l.currency}`, (perReport.get(`${l.reportId}|${l.currency}`) ?? ZERO).plus(l.amount!));
      expect([...perReport.values()].every((v) => v.isZero())).toBe(true);
      expect(generic.filter((l) => l.lineType === 'payable').every((l) => l.accountCode === '1600')).toBe(true);
      // The vendors' own words survive the CSV quoting (commas, quotes, accents).
      expect(new Set(expense.map((l) => l.vendor))).toEqual(new Set(rows.map((r) => r.vendor ?? '')));

      // JSON Lines: the same rows, amounts as exact strings.
      const jsonl = fileOf(batch, `${batch}.journal.jsonl`).bytes.toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as DbRow & { lineType: string });
      expect(jsonl.filter((l) => l.lineType === 'expense').map(key).sort()).toEqual(want);
      expect(jsonl.every((l) => typeof l.amount === 'string')).toBe(true);

      // The custom layout: Windows-1252, ';', decimal comma, dd.MM.yyyy, CRLF, no header.
      const erpBytes = fileOf(batch, `${batch}_erp.csv`).bytes;
      expect(erpBytes.includes(Buffer.from('\n')) && !/[^\r]\n/.test(erpBytes.toString('latin1'))).toBe(true);
      const erp = parse(iconv.decode(erpBytes, 'windows-1252'), { delimiter: ';' }) as string[][];
      const erpExpense = erp.filter((c) => c[10] === 'expense');
      expect(erpExpense.map((c) => key({ reportId: c[0] || null, entryId: c[1] || null, journalKey: c[2] || null, accountCode: c[7] || null, amount: c[8]!.replace(',', '.'), currency: c[9] || null })).sort()).toEqual(want);
      expect(erpExpense.every((c) => c[3] === '' || /^\d{2}\.\d{2}\.\d{4}$/.test(c[3]!))).toBe(true);
      expect(new Set(erpExpense.map((c) => c[4]))).toEqual(new Set(rows.map((r) => r.employeeName)));

      // DATEV: a valid header record, DATEV's column headings, only allowed characters, Soll/Haben totals = stored totals.
      const datevBytes = fileOf(batch, `EXTF_Buchungsstapel_${batch}.csv`).bytes;
      expect([...datevBytes].every((b) => b >= 0x20 || b === 0x0d || b === 0x0a)).toBe(true);
      const text = iconv.decode(datevBytes, 'windows-1252');
      expect(text).not.toContain('\uFFFD');
      expect(text.endsWith('\r\n') && !/[^\r]\n/.test(text)).toBe(true);
      const [head, columns, ...bookings] = text.slice(0, -2).split('\r\n');
      const h = head!.split(';');
      expect(h).toHaveLength(31);
      expect(h.slice(0, 5)).toEqual(['"EXTF"', '700', '21', '"Buchungsstapel"', '13']);
      expect(h[5]).toMatch(/^\d{17}$/);
      expect(h.slice(10, 14)).toEqual(['29098', '55003', expect.stringMatching(/^\d{4}0101$/), '4']);
      expect(h[14]! <= h[15]!).toBe(true);
      expect(h[16]).toMatch(/^".{0,30}"$/);
      expect(h[21]).toMatch(/^"[A-Z]{3}"$/);
      expect(h[26]).toBe('"03"');
      expect(columns).toBe(DATEV_COLUMNS.join(';'));
      const signed: Array<{ amount: string; currency: string }> = [];
      for (const b of bookings) {
        const f = parse(b, { delimiter: ';', relax_quotes: false })[0] as string[];
        expect(f).toHaveLength(14);
        expect(f[0]).toMatch(/^\d{1,10},\d{2}$/);
        expect(f[1]).toMatch(/^[SH]$/);
        expect(f[2]).toMatch(/^[A-Z]{3}$/);
        expect(f[6]).toMatch(/^\d{1,9}$/);
        expect(f[7]).toBe('1600');
        expect(f[9]).toMatch(/^(0[1-9]|[12]\d|3[01])(0[1-9]|1[0-2])$/);
        expect(f[10]).toMatch(/^[\w$%/-]{0,36}$/);
        expect([...f[13]!].length).toBeLessThanOrEqual(60);
        expect(b).toMatch(/^[^"]*;"[SH]";"[A-Z]{3}";;;"";\d+;\d+;"";\d{4};"[^"]*";"";;".*"$/);
        signed.push({ amount: `${f[1] === 'H' ? '-' : ''}${f[0]!.replace(',', '.')}`, currency: f[2]! });
      }
      expect(bookings).toHaveLength(rows.length);
      expect(sums(signed)).toEqual(totals);

      // The manifest lists every journal with its format and sha256.
      const manifest = JSON.parse(fileOf(batch, 'manifest.json').bytes.toString('utf8')) as { files: Array<{ kind: string; format?: string; path: string; sha256: string }> };
      const listed = manifest.files.filter((f) => f.kind === 'normalized');
      expect(listed.map((f) => f.format).sort()).toEqual(['datev', 'erp', 'generic', 'jsonl']);
      for (const f of listed) expect(f.sha256).toBe(createHash('sha256').update(fileOf(batch, f.path).bytes).digest('hex'));
    }

    // A replay finds every file, journals included, already there with identical bytes.
    const [first] = [...byBatch.keys()];
    const replay = await runCli(world.configPath, ['replay', `c0001/${first}`]).done;
    expect(replay.code, replay.output.slice(-2000)).toBe(0);
    expect(Object.fromEntries(dropContents(world.dropRoot))).toEqual(Object.fromEntries(drop));
    const [delivery] = await world.query<{ result: Array<{ kind: string; outcome: string }> }>(
      `SELECT d.result FROM deliveries d JOIN batches b ON b.id = d.batch_row_id WHERE b.concur_batch_id = $1`,
      [first],
    );
    const journals = delivery!.result.filter((f) => f.kind === 'normalized');
    expect(journals).toHaveLength(4);
    expect(journals.every((f) => f.outcome === 'already-present')).toBe(true);

    // `erp-sync export` writes the very bytes the drop received.
    const out = join(world.dataDir, '..', 'export-datev.csv');
    const exported = await runCli(world.configPath, ['export', `c0001/${first}`, '--format', 'datev', '--out', out]).done;
    expect(exported.code, exported.output).toBe(0);
    expect(readFileSync(out).equals(fileOf(first!, `EXTF_Buchungsstapel_${first}.csv`).bytes)).toBe(true);
    const stdout = await runCli(world.configPath, ['export', first!], { LOG_LEVEL: 'error' }).done;
    expect(stdout.code).toBe(0);
    expect(stdout.output).toBe(fileOf(first!, `${first}.generic.csv`).bytes.toString('utf8'));
    const unknown = await runCli(world.configPath, ['export', first!, '--format', 'nope']).done;
    expect(unknown.code).toBe(2);
    expect(unknown.output).toContain('available: generic, jsonl, erp, datev');
  }, 240_000);
});
