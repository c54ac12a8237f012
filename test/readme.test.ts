// The README stays true: every YAML block parses, and its examples match what the program really writes.
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { readmeBlocks } from './support/readme.js';

describe('README', () => {
  it('every YAML block is valid YAML', () => {
    const blocks = readmeBlocks('yaml');
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const b of blocks) {
      const doc = parseDocument(b.text);
      expect(doc.errors.map((e) => `README.md line ${b.line}: ${e.message}`)).toEqual([]);
    }
  });

  it('the manifest example is JSON', () => {
    const [manifest] = readmeBlocks('json');
    expect(() => JSON.parse(manifest!.text)).not.toThrow();
  });
});
