import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedParts, openBatchFile, openExtractedEntries } from '../../parsers/batch-file.js';
import { ZipGuardError } from '../../parsers/errors.js';
import { FigureTally, partFigures, reconcile } from '../../src/pipeline/reconcile.js';
import { ZipLimitsSchema, isUnsafeEntryName, openZip, DEFAULT_ZIP_LIMITS } from '../../parsers/zip.js';
import { renderBatchFile, zipBuffer, type BatchSpec } from '../../sandboxes/files/index.js';
import { collect } from './helpers.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'zip-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function saved(name: string, bytes: Buffer): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, bytes);
  return path;
}

const spec: BatchSpec = { batchId: 'B-9', batchName: 'QB', closeDate: '2025-03-14', seed: 5, reports: 3, linesPerReport: 2, currency: 'USD' };
const rejectionOf = async (p: Promise<unknown>): Promise<unknown> => p.then(() => 'resolved', (e: unknown) => e);

describe('ZIP bundles', () => {
  it('parses each entry by its detected kind; the GL CSV is loaded, the IIF checked against it and the batch list', async () => {
    const file = renderBatchFile('quickbooks-zip', spec);
    const parts = await openBatchFile(await saved(file.fileName, file.bytes), { defaultCurrency: 'USD' });
    expect(parts.map((p) => [p.name, p.container, p.kind])).toEqual([
      ['batch_B-9.iif', file.fileName, 'iif'],
      ['batch_B-9_GL.csv', file.fileName, 'csv'],
    ]);
    const [iif, gl] = parts;
    // The IIF's transactions are its SPL lines (TRNS is their offsetting payable).
    expect(await collect(iif!.rows())).toHaveLength(6);
    const glRows = await collect(gl!.rows());
    expect(glRows).toHaveLength(6);
    expect(iif!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const loaded = loadedParts(parts);
    expect(parts.map(loaded)).toEqual([false, true]);
    const figures = new FigureTally();
    for (const r of glRows) figures.add(r);
    const list = { currency: 'USD', total: file.totals.USD!, count: spec.reports };
    const rec = reconcile({ list, stored: figures.figures(), parts: partFigures(parts, loaded) });
    expect(rec.status).toBe('reconciled');
    expect(new Set(rec.checks.map((c) => c.check))).toEqual(new Set(['rows-present', 'batch-total', 'batch-count', 'parsed-lines', 'file-total', 'gl-vs-iif-lines', 'gl-vs-iif-account']));
  });

  it('keeps an entry of unknown kind (delivered, not parsed) and reads a stored entry too', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
    const sae = renderBatchFile('sae', { ...spec, reports: 1 });
    const readme = Buffer.from('Exported by Concur\nSee the IIF file.\n');
    const path = await saved('mixed.zip', zipBuffer([{ name: 'logo.png', data: png }, { name: 'e.txt', data: sae.bytes, method: 'store' }, { name: 'README.txt', data: readme }]));
    const parts = await openBatchFile(path);
    expect(parts.map((p) => p.kind)).toEqual(['unknown', 'sae', 'unknown']);
    expect(await collect(parts[0]!.rows())).toEqual([]);
    expect(Buffer.concat(await collect(parts[0]!.open()))).toEqual(png);
    expect(await collect(parts[1]!.rows())).toHaveLength(2);
  });

  it.each(['../evil.iif', 'a/../../evil.iif', '/etc/passwd', 'C:\\x.iif', '..\\x'])('refuses the zip-slip name %s', async (name) => {
    const path = await saved('slip.zip', zipBuffer([{ name, data: Buffer.from('x') }]));
    expect(await rejectionOf(openBatchFile(path))).toMatchObject({ code: 'zip-slip', file: 'slip.zip' });
  });

  it('accepts ordinary nested names', () => {
    expect(isUnsafeEntryName('export/batch..1.iif')).toBe(false);
    expect(isUnsafeEntryName('export/batch.iif')).toBe(false);
  });

  it('refuses more entries than configured', async () => {
    const path = await saved('many.zip', zipBuffer(Array.from({ length: 4 }, (_, i) => ({ name: `f${i}.csv`, data: Buffer.from('a\n1\n') }))));
    const err = await rejectionOf(openBatchFile(path, { zipLimits: ZipLimitsSchema.parse({ maxEntries: 3 }) }));
    expect(err).toBeInstanceOf(ZipGuardError);
    expect(err).toMatchObject({ code: 'zip-entries' });
  });

  it('refuses more uncompressed bytes in total than configured', async () => {
    const path = await saved('big.zip', zipBuffer([{ name: 'a.csv', data: Buffer.alloc(600, 0x41) }, { name: 'b.csv', data: Buffer.alloc(600, 0x41) }]));
    expect(await rejectionOf(openBatchFile(path, { zipLimits: ZipLimitsSchema.parse({ maxTotalUncompressedBytes: 1000 }) }))).toMatchObject({ code: 'zip-size' });
  });

  it('refuses a suspicious compression ratio (decompression bomb)', async () => {
    const path = await saved('bomb.zip', zipBuffer([{ name: 'zeros.csv', data: Buffer.alloc(4 * 1024 * 1024) }]));
    const err = await rejectionOf(openBatchFile(path));
    expect(err).toMatchObject({ code: 'zip-ratio', field: 'zeros.csv' });
    expect((err as Error).message).toMatch(/decompression bomb/);
  });

  it('refuses an entry that inflates beyond its declared size', async () => {
    const zip = zipBuffer([{ name: 'a.csv', data: Buffer.from('x,y\n'.repeat(1000)) }]);
    const cd = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(100, cd + 24); // central directory: uncompressed size
    const err = await rejectionOf(openBatchFile(await saved('liar.zip', zip)));
    expect(err).toMatchObject({ code: 'zip-size', field: 'a.csv' });
  });

  it('a truncated ZIP is a typed error', async () => {
    const file = renderBatchFile('quickbooks-zip', spec);
    const err = await rejectionOf(openBatchFile(await saved('cut.zip', file.bytes.subarray(0, 200))));
    expect(err).toMatchObject({ code: 'zip-format', file: 'cut.zip' });
  });
});

describe('a ZIP whose entries were extracted (the load after the fetch)', () => {
  it('gives the same parts as the ZIP itself, read from the entry files: kinds, profiles, warnings, hashes, rows', async () => {
    const bundle = renderBatchFile('quickbooks-zip', spec);
    const readme = Buffer.from('Exported by Concur\nSee the IIF file.\n');
    const entriesOfBundle = await openZip(await saved('bundle-only.zip', bundle.bytes), DEFAULT_ZIP_LIMITS, 'bundle-only.zip');
    const withReadme = [...(await Promise.all(entriesOfBundle.map(async (e) => ({ name: e.name, data: Buffer.concat(await collect(e.open())) })))), { name: 'README.txt', data: readme }];
    const zipPath = await saved('bundle.zip', zipBuffer(withReadme));
    const fromZip = await openBatchFile(zipPath, { defaultCurrency: 'USD' });
    const extracted = await Promise.all(
      withReadme.map(async (e, i) => ({ name: e.name, path: await saved(`entry-${i}`, e.data), sha256: fromZip[i]!.sha256, bytes: e.data.length })),
    );
    const fromFiles = await openExtractedEntries(extracted, 'bundle.zip', { defaultCurrency: 'USD' });
    const shape = (p: (typeof fromZip)[number]) => [p.name, p.container, p.kind, p.profile, p.warning, p.sha256, p.bytes];
    expect(fromFiles.map(shape)).toEqual(fromZip.map(shape));
    expect(fromFiles.map((p) => p.kind)).toEqual(['iif', 'csv', 'unknown']);
    for (const [i, part] of fromFiles.entries()) expect(await collect(part.rows())).toEqual(await collect(fromZip[i]!.rows()));
  });

  it('names the entry when its file is missing', async () => {
    const err = await openExtractedEntries([{ name: 'gone.iif', path: join(dir, 'no-such-entry'), sha256: 'a'.repeat(64), bytes: 1 }], 'b.zip').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'io', file: 'gone.iif' });
  });
});
