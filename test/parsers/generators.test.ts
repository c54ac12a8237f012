import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadedParts, openBatchFile } from '../../parsers/batch-file.js';
import { DEFAULT_BATCHES } from '../../sandboxes/concur/state.js';
import { Money } from '../../src/money.js';
import { SANDBOX_CSV_PROFILE, generateLines, renderBatchFile, type GeneratedLine } from '../../sandboxes/files/index.js';

const spec = { batchId: '8', batchName: 'Gen', closeDate: '2025-05-31', seed: 42, reports: 12, linesPerReport: 3 };

describe('test-data generators', () => {
  it('are deterministic from the seed and differ across seeds', () => {
    expect(generateLines(spec)).toEqual(generateLines(spec));
    expect(generateLines({ ...spec, seed: 43 })).not.toEqual(generateLines(spec));
    expect(renderBatchFile('quickbooks-zip', spec).bytes).toEqual(renderBatchFile('quickbooks-zip', spec).bytes);
  });

  it('produce realistic text: accents, commas and quotes, never a pipe; several currencies unless one is given', () => {
    const lines = generateLines(spec);
    expect(lines).toHaveLength(36);
    expect(lines.some((l) => /[À-ÿ]/.test(l.employeeName))).toBe(true);
    expect(lines.some((l) => l.description.includes(',') && l.description.includes('"'))).toBe(true);
    expect(lines.every((l) => !Object.values(l).join('').includes('|'))).toBe(true);
    expect(new Set(lines.map((l) => l.currency)).size).toBeGreaterThan(1);
    expect(new Set(generateLines({ ...spec, currency: 'CHF' }).map((l) => l.currency))).toEqual(new Set(['CHF']));
    expect(lines.every((l) => /^\d+\.\d{2}$/.test(l.amount) && /^\d{4}-\d{2}-\d{2}$/.test(l.transactionDate))).toBe(true);
  });

  it('render totals as exact sums and count payment demands as reports', () => {
    const lines = generateLines(spec);
    for (const kind of ['csv', 'sae'] as const) {
      const f = renderBatchFile(kind, spec);
      expect(f.count).toBe(12);
      for (const [currency, total] of Object.entries(f.totals)) {
        const sum = lines.filter((l) => l.currency === currency).reduce((s, l) => s.plus(l.amount), new Money(0));
        expect(new Money(total).eq(sum)).toBe(true);
      }
    }
    const zip = renderBatchFile('quickbooks-zip', spec);
    expect(zip.contentType).toBe('application/zip');
    expect(Object.keys(zip.totals)).toEqual(['USD']);
  });

  it('give every line of a batch its own journal key, however many reports', () => {
    const lines = generateLines({ batchId: 'B1', batchName: 'Big', closeDate: '2026-11-20', seed: 7, reports: 20_000, linesPerReport: 3 });
    expect(new Set(lines.map((l) => l.journalKey)).size).toBe(lines.length);
  });

  it('write allocation splits and itemizations: lines sharing report and entry ids, on other accounts and amounts', () => {
    const lines = generateLines({ ...spec, reports: 2, linesPerReport: 2 });
    const [a, b, c, d] = lines as [GeneratedLine, GeneratedLine, GeneratedLine, GeneratedLine];
    // Report 0: an allocation split (same expense type); report 1: an itemization (its own expense type allowed).
    expect([b.reportId, b.entryId, b.expenseType]).toEqual([a.reportId, a.entryId, a.expenseType]);
    expect([d.reportId, d.entryId]).toEqual([c.reportId, c.entryId]);
    expect(a.entryId).not.toBe(c.entryId);
    expect(new Set(lines.map((l) => l.journalKey)).size).toBe(4);
  });

  it('SAE DETAIL lines have exactly 400 fields', () => {
    const text = renderBatchFile('sae', spec).bytes.toString('utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^EXTRACT\|2025-05-31\|36\|\d+\.\d+\|8$/);
    expect(lines.slice(1).every((l) => l.split('|').length === 400)).toBe(true);
  });
});

describe('the sandbox seeded batches', () => {
  it.each(DEFAULT_BATCHES.filter((b) => b.reports > 0).map((b) => [b.name, b] as const))('%s has allocation splits (lines sharing report and entry ids), so npm start shows them', async (_name, seed) => {
    const dir = await mkdtemp(join(tmpdir(), 'seeded-'));
    try {
      const f = renderBatchFile(seed.kind, { batchId: '42', batchName: seed.name, closeDate: '2026-11-30', seed: 1, reports: seed.reports, linesPerReport: seed.linesPerReport, currency: seed.currency });
      const path = join(dir, f.fileName);
      await writeFile(path, f.bytes);
      const parts = await openBatchFile(path, { csvProfile: SANDBOX_CSV_PROFILE, defaultCurrency: seed.currency });
      const keep = loadedParts(parts);
      const rows = [];
      for (const p of parts) for await (const r of p.rows()) if (keep(p)) rows.push(r);
      expect(rows).toHaveLength(seed.reports * seed.linesPerReport);
      const keys = rows.map((r) => `${r.reportId}/${r.entryId}`);
      expect(new Set(keys).size).toBeLessThan(keys.length);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
