import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runParse } from '../../src/commands/parse.js';
import { SANDBOX_CSV_PROFILE, renderBatchFile, zipBuffer, type BatchFileKind } from '../../sandboxes/files/index.js';
import { FOREIGN_GL_PROFILE, NO_IDS_PROFILE, SPLIT_LINES, bundle, csvWithoutIds, foreignGlCsv, glCsv, iif } from '../e2e/split-files.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parse-cmd-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const spec = { batchId: '12', batchName: 'CLI', closeDate: '2025-04-30', seed: 4, reports: 2, linesPerReport: 3 };

async function run(file: string, opts: { profile?: string; json?: boolean } = {}): Promise<{ code: number; out: string; err: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.on('data', (c: Buffer) => (o += c.toString()));
  err.on('data', (c: Buffer) => (e += c.toString()));
  const code = await runParse({ file, profile: opts.profile, profiles: { sandbox: SANDBOX_CSV_PROFILE, 'no-ids': NO_IDS_PROFILE }, json: opts.json ?? false, out, err });
  return { code, out: o, err: e };
}

async function fileOf(kind: BatchFileKind, mutate: (b: Buffer) => Buffer = (b) => b): Promise<{ path: string; totals: Record<string, string> }> {
  const f = renderBatchFile(kind, spec);
  const path = join(dir, f.fileName);
  await writeFile(path, mutate(f.bytes));
  return { path, totals: f.totals };
}

describe('erp-sync parse', () => {
  it('summarises an SAE: kind, rows, totals per currency, reconciliation with its header', async () => {
    const { path, totals } = await fileOf('sae');
    const r = await run(path);
    expect(r.code).toBe(0);
    expect(r.out).toContain(': sae, loaded, 6 rows, totals ');
    for (const [c, v] of Object.entries(totals)) expect(r.out).toContain(`${c} ${v}`);
    expect(r.out).toContain('reconciliation: reconciled, 6 rows to load');
    expect(r.out).toMatch(/ok file-header-total:\S+: expected /);
  });

  it('prints one JSON transaction per line with --json, amounts as strings', async () => {
    const { path } = await fileOf('quickbooks-zip');
    const r = await run(path, { json: true });
    expect(r.code).toBe(0);
    const rows = r.out.trim().split('\n').map((l) => JSON.parse(l) as { amount: unknown; file: string });
    // The IIF's SPL lines and the GL CSV's lines (the TRNS rows are the payable, not transactions).
    expect(rows).toHaveLength(6 + 6);
    expect(rows.every((t) => typeof t.amount === 'string')).toBe(true);
    expect(new Set(rows.map((t) => t.file))).toEqual(new Set(['batch_12.iif', 'batch_12_GL.csv']));
  });

  it('prints the raw record of a CSV row by name with --json, not the fields and header the load stores apart', async () => {
    const { path } = await fileOf('csv');
    const r = await run(path, { profile: 'sandbox', json: true });
    const [first] = r.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({ raw: { 'Employee ID': expect.any(String), Amount: expect.any(String), Currency: first!.currency } });
    expect(Object.keys(first!)).not.toContain('rawFields');
    expect(Object.keys(first!)).not.toContain('rawNames');
  });

  it('a CSV needs --profile (exit 2); with it, it parses (exit 0); an unknown profile is a usage error', async () => {
    const { path } = await fileOf('csv');
    expect((await run(path)).code).toBe(2);
    expect((await run(path, { profile: 'sandbox' })).code).toBe(0);
    const unknown = await run(path, { profile: 'nope' });
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('quickbooks-gl');
    expect((await run(join(dir, 'missing.txt'))).code).toBe(2);
  });

  it('exit 1 with the error printed (file, line, field) when the file has errors', async () => {
    const { path } = await fileOf('sae', (b) => Buffer.from(b.toString('utf8').replace(/\|DR\|/, '|XX|'), 'utf8'));
    const r = await run(path);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/extract_CES_SAE_v3_batch_12\.txt:2: Journal Debit or Credit: expected DR or CR/);
  });

  it('exit 1 when the SAE header total disagrees with its lines', async () => {
    const { path } = await fileOf('sae', (b) => Buffer.from(b.toString('utf8').replace(/^(EXTRACT\|[^|]*\|[^|]*\|)([^|]*)/, '$11.00'), 'utf8'));
    const r = await run(path);
    expect(r.code).toBe(1);
    expect(r.out).toContain('MISMATCH');
  });
});

describe('erp-sync parse shows the load decisions', () => {
  const save = async (name: string, bytes: Buffer): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };

  it.each([
    ['an empty ZIP', () => zipBuffer([])],
    ['a ZIP of only unknown entries', () => zipBuffer([{ name: 'nested.zip', data: bundle('n', glCsv()) }, { name: 'README.txt', data: Buffer.from('Exported by Concur.\n') }])],
  ])('%s: nothing to load is a mismatch, exit 1', async (_name, bytes) => {
    const r = await run(await save('nothing.zip', bytes()));
    expect(r.code).toBe(1);
    expect(r.out).toContain('reconciliation: mismatch, 0 rows to load');
    expect(r.out).toContain('MISMATCH rows-present');
  });

  it('a bundle with a GL CSV in a foreign layout: the IIF is loaded, the GL CSV kept with a warning naming the missing columns', async () => {
    const r = await run(await save('fx.zip', bundle('fx', foreignGlCsv('FX'))));
    expect(r.code).toBe(0);
    expect(r.out).toContain('fx.iif: iif, loaded, 6 rows, totals (no currency) 275, 2 balanced blocks');
    expect(r.out).toMatch(/\n {2}fx_GL\.csv: CSV layout not recognised by profile quickbooks-gl \(no column .*"Debit", "Credit"\): kept and delivered, not loaded\n/);
    expect(r.out).toContain('warning: fx_GL.csv: CSV layout not recognised');
  });

  it('a bundle whose GL CSV a configured entry rule recognises: the GL CSV is loaded and checked against the IIF per account', async () => {
    const settings = { csvProfiles: { 'concur-gl': FOREIGN_GL_PROFILE }, csvProfileRules: [{ profile: 'concur-gl', entryName: '_GL\\.csv$' }] };
    const path = await save('cfg.zip', bundle('cfg', foreignGlCsv('CFG')));
    const r = await runParse({ file: path, settings, json: false, out: sink(), err: sink() });
    expect(r).toBe(0);
    const text = await captured(path, settings);
    expect(text).toContain('cfg_GL.csv: csv with profile concur-gl, loaded, 6 rows');
    expect(text).toContain('cfg.iif: iif, checked, not loaded');
    expect(text).toContain('ok gl-vs-iif-account:cfg_GL.csv:account 6130: expected 25, actual 25');
    // A GL CSV that disagrees with its IIF on an account is a mismatch.
    const off = SPLIT_LINES.map((l, i) => (i === 0 ? { ...l, account: '6999' } : l));
    const bad = await save('off.zip', zipBuffer([{ name: 'off.iif', data: iif() }, { name: 'off_GL.csv', data: foreignGlCsv('OFF', off) }]));
    expect(await runParse({ file: bad, settings, json: false, out: sink(), err: sink() })).toBe(1);
    expect(await captured(bad, settings)).toContain('MISMATCH gl-vs-iif-account:off_GL.csv:account 6100: expected 100, actual 0');
  });

  it('refuses an amount beyond 23 integer digits or 8 decimal places, naming file, line and field', async () => {
    const huge = csvWithoutIds([{ ...SPLIT_LINES[0]!, amount: '1' + '0'.repeat(23) }]);
    let r = await run(await save('huge.csv', huge), { profile: 'no-ids' });
    expect(r.code).toBe(1);
    expect(r.err).toContain('huge.csv:2: Amount: amount has 24 integer digits, more than the 23 allowed');
    r = await run(await save('fine.csv', csvWithoutIds([{ ...SPLIT_LINES[0]!, amount: '0.123456789' }])), { profile: 'no-ids' });
    expect(r.err).toContain('fine.csv:2: Amount: amount has 9 decimal places, more than the 8 allowed');
  });
});

function sink(): PassThrough {
  const s = new PassThrough();
  s.resume();
  return s;
}

async function captured(file: string, settings: Parameters<typeof runParse>[0]['settings']): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  await runParse({ file, settings, json: false, out, err: sink() });
  return text;
}
