import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runParse } from '../../src/commands/parse.js';
import { SANDBOX_CSV_PROFILE, renderBatchFile, type BatchFileKind } from '../../src/sandbox/files/index.js';

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
  const code = await runParse({ file, profile: opts.profile, profiles: { sandbox: SANDBOX_CSV_PROFILE }, json: opts.json ?? false, out, err });
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
