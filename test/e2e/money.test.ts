// Money is never silently lost: every line of every file kind is stored (allocation splits, itemizations, repeated
// entry ids), reconciliation is computed from what was stored, and a batch whose files yield less than the list
// says is a mismatch. The daemon runs as a child process; everything is checked in the database and the drop.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipBuffer } from '../../sandboxes/files/index.js';
import { Money } from '../../src/money.js';
import { addFileBatch, dropContents, runCli, startWorld, type World } from './world.js';
import { FOREIGN_GL_PROFILE, NO_IDS_PROFILE, SPLIT_LINES, SPLIT_REPORTS, SPLIT_TOTAL, bundle, csvWithIds, csvWithoutIds, foreignGlCsv, glCsv, iif, sae } from './split-files.js';

interface Stored {
  state: string;
  reconciliation: { status: string; rows: number; totals: Record<string, string>; warnings: string[]; checks: Array<{ check: string; ok: boolean }> } | null;
  rows: number;
  total: string | null;
  files: string[] | null;
}

const GOOD = {
  'CSV with report and entry ids': { fileName: 'ids.csv', bytes: csvWithIds() },
  'CSV without report or entry ids': { fileName: 'noids.csv', bytes: csvWithoutIds(), type: 'Card Program' as const },
  SAE: { fileName: 'extract_SPLIT.txt', bytes: sae('SPLIT') },
  IIF: { fileName: 'bills.iif', bytes: iif() },
  'QuickBooks bundle': { fileName: 'qb.zip', bytes: bundle('qb', glCsv()), contentType: 'application/zip' },
  'QuickBooks bundle, foreign GL layout': { fileName: 'fx.zip', bytes: bundle('fx', foreignGlCsv('FX')), contentType: 'application/zip' },
  'QuickBooks bundle, configured GL profile': { fileName: 'cfg.zip', bytes: bundle('cfg', foreignGlCsv('CFG')), contentType: 'application/zip' },
};

describe('money is never silently lost', () => {
  let world: World;
  const ids = new Map<string, string>();
  const stored = async (name: string): Promise<Stored> =>
    (await world.query<Stored>(
      `SELECT b.state, b.reconciliation, count(t.id)::int AS rows, sum(t.amount)::text AS total, array_agg(DISTINCT t.source_file) FILTER (WHERE t.id IS NOT NULL) AS files
       FROM batches b LEFT JOIN transactions t ON t.batch_row_id = b.id WHERE b.concur_batch_id = $1 GROUP BY b.id`,
      [ids.get(name)],
    ))[0]!;

  beforeAll(async () => {
    world = await startWorld();
    for (const [name, file] of Object.entries(GOOD)) ids.set(name, addFileBatch(world, name, file, SPLIT_TOTAL, SPLIT_REPORTS).id);
    // The list says Count 4 and BatchTotal 4317.08, but nothing in the files can be loaded.
    ids.set('empty ZIP', addFileBatch(world, 'empty ZIP', { fileName: 'empty.zip', bytes: zipBuffer([]), contentType: 'application/zip' }, '4317.08', 4).id);
    const unknownOnly = zipBuffer([{ name: 'nested.zip', data: bundle('n', glCsv()) }, { name: 'README.txt', data: Buffer.from('Exported by Concur.\n') }]);
    ids.set('only unknown entries', addFileBatch(world, 'only unknown entries', { fileName: 'unknown.zip', bytes: unknownOnly, contentType: 'application/zip' }, '4317.08', 4).id);
    // Its one line matches the BatchTotal, but the list counts two payment demands.
    ids.set('short file', addFileBatch(world, 'short file', { fileName: 'short.csv', bytes: csvWithIds(SPLIT_LINES.slice(0, 1)) }, '100.00', 2).id);

    const config = JSON.parse(readFileSync(world.configPath, 'utf8'));
    Object.assign(config.companies[0].csvProfiles, { 'no-ids': NO_IDS_PROFILE, 'concur-gl': FOREIGN_GL_PROFILE });
    config.companies[0].csvProfileRules = [{ profile: 'no-ids', type: 'Card Program' }, { profile: 'concur-gl', entryName: '^cfg_GL\\.csv$' }];
    writeFileSync(world.configPath, JSON.stringify(config));
    const run = await runCli(world.configPath, ['run-once']).done;
    expect(run.code, run.output.slice(-3000)).toBe(1); // the three mismatches are quarantined
  });
  afterAll(() => world?.close());

  it.each(Object.keys(GOOD))('%s: every line stored; totals equal the file and the BatchTotal to the cent; reconciled', async (name) => {
    const s = await stored(name);
    expect(s.state, JSON.stringify(s.reconciliation?.checks.filter((c) => !c.ok))).toBe('done');
    expect(s.rows).toBe(SPLIT_LINES.length);
    expect(new Money(s.total!).eq(SPLIT_TOTAL)).toBe(true);
    expect(s.reconciliation).toMatchObject({ status: 'reconciled', rows: SPLIT_LINES.length, totals: { EUR: '275' } });
    // The manifest on the drop says the same, from the stored rows.
    const manifestPath = [...dropContents(world.dropRoot).keys()].find((p) => p.includes(ids.get(name)!) && p.endsWith('manifest.json'))!;
    const manifest = JSON.parse(readFileSync(join(world.dropRoot, manifestPath), 'utf8'));
    expect(manifest).toMatchObject({ format: 'erp-sync.manifest/2', rows: SPLIT_LINES.length, totals: { EUR: '275' }, reconciliation: { status: 'reconciled', difference: {} } });
  });

  it('a bundle whose GL CSV no profile recognises loads from the IIF, delivers the GL CSV and warns with the missing columns', async () => {
    const s = await stored('QuickBooks bundle, foreign GL layout');
    expect(s.files).toEqual(['fx.iif']);
    expect(s.reconciliation!.warnings).toEqual([expect.stringMatching(/^fx_GL\.csv: CSV layout not recognised by profile quickbooks-gl \(no column .*"Employee".*"Debit", "Credit"\): kept and delivered/)]);
    expect([...dropContents(world.dropRoot).keys()].some((p) => p.endsWith('fx_GL.csv'))).toBe(true);
  });

  it('with a configured entry rule the GL CSV is loaded and reconciled against the IIF line for line', async () => {
    const s = await stored('QuickBooks bundle, configured GL profile');
    expect(s.files).toEqual(['cfg_GL.csv']);
    const checks = s.reconciliation!.checks.filter((c) => c.check.startsWith('gl-vs-iif'));
    expect(checks.map((c) => c.check).sort()).toEqual(['gl-vs-iif-account', 'gl-vs-iif-account', 'gl-vs-iif-account', 'gl-vs-iif-account', 'gl-vs-iif-account', 'gl-vs-iif-lines']);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect((await stored('QuickBooks bundle')).files).toEqual(['qb_GL.csv']);
  });

  it.each(['empty ZIP', 'only unknown entries', 'short file'])('%s: a mismatch, quarantined under the default policy, nothing stored', async (name) => {
    const s = await stored(name);
    expect(s.state).toBe('quarantined');
    expect(s.reconciliation?.status).toBe('mismatch');
    expect(s.rows).toBe(0);
  });

  it('a regenerated file (a new v1.1 close, new File-Url) replaces the rows: one copy, the same figures', async () => {
    const id = ids.get('CSV with report and entry ids')!;
    const [before] = await world.query<{ file_url: string }>(`SELECT file_url FROM batches WHERE concur_batch_id = $1`, [id]);
    // As if the file were fetched again: the batch goes back to the step that asks Concur for its file.
    await world.query(`UPDATE batches SET state = 'closed', next_attempt_at = now() WHERE concur_batch_id = $1`, [id]);
    const run = await runCli(world.configPath, ['run-once']).done;
    expect(run.output).toContain('file_ready → fetched');
    const s = await stored('CSV with report and entry ids');
    expect(s).toMatchObject({ state: 'done', rows: SPLIT_LINES.length });
    expect(new Money(s.total!).eq(SPLIT_TOTAL)).toBe(true);
    const [after] = await world.query<{ file_url: string; originals: number; loads: number; differs: number }>(
      `SELECT b.file_url, (SELECT count(*)::int FROM files f WHERE f.batch_row_id = b.id AND f.parent_file_id IS NULL) AS originals,
              (SELECT count(*)::int FROM batch_events e WHERE e.batch_row_id = b.id AND e.kind = 'loaded') AS loads,
              (SELECT count(*)::int FROM batch_events e WHERE e.batch_row_id = b.id AND e.kind = 'reload_differs') AS differs
       FROM batches b WHERE b.concur_batch_id = $1`,
      [id],
    );
    expect(after!.file_url).not.toBe(before!.file_url);
    expect(after).toMatchObject({ loads: 2, differs: 0 });
    const [loaded] = await world.query<{ detail: { rows: number; replaced: number } }>(`SELECT e.detail FROM batch_events e JOIN batches b ON b.id = e.batch_row_id WHERE b.concur_batch_id = $1 AND e.kind = 'loaded' ORDER BY e.id DESC LIMIT 1`, [id]);
    expect(loaded!.detail).toMatchObject({ rows: SPLIT_LINES.length, replaced: SPLIT_LINES.length });
  });
});
