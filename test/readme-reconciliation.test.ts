// The README's GL CSV profile example is valid configuration, and its rule chooses that profile for a bundle's GL CSV.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { CompanySchema } from '../src/config/schema.js';
import { chooseProfile, missingColumns } from '../parsers/index.js';

const README = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');

describe('README: a GL CSV profile chosen by an entryName rule', () => {
  it('parses, validates, and recognises the layout of a foreign GL CSV', () => {
    const block = [...README.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('entryName'));
    expect(block).toBeDefined();
    const company = CompanySchema.parse({ id: 'acme', ...(parse(block!) as object) });
    const chosen = chooseProfile(company, { fileName: '123.zip', entryName: 'batch_123_GL.csv' });
    expect(chosen?.name).toBe('concur-gl');
    const header = 'Batch ID,Report ID,Employee ID,Transaction Date,Expense Type,Account Code,Amount,Currency'.split(',');
    expect(missingColumns(chosen!.profile, header)).toEqual([]);
    // A top-level file is not an entry: the rule does not apply to it.
    expect(chooseProfile(company, { fileName: 'x_GL.csv' })).toBeUndefined();
  });
});
