import { describe, expect, it } from 'vitest';
import { detectKind } from '../../parsers/detect.js';
import { renderBatchFile } from '../../sandboxes/files/index.js';

const spec = { batchId: '1', batchName: 'b', closeDate: '2025-01-31', seed: 1, reports: 1, linesPerReport: 1 };

describe('kind detection from bytes', () => {
  it('recognises the generated files whatever their names', () => {
    expect(detectKind(renderBatchFile('quickbooks-zip', spec).bytes)).toBe('zip');
    expect(detectKind(renderBatchFile('sae', spec).bytes)).toBe('sae');
    expect(detectKind(renderBatchFile('csv', spec).bytes)).toBe('csv');
  });

  it.each([
    ['!TRNS\tDATE\n', 'iif'],
    ['\r\n"!TRNS","DATE"\n', 'iif'],
    ['!ACCNT\tNAME\n', 'iif'],
    ['\ufeffEXTRACT|2025-01-01|0|0|1\n', 'sae'],
    ['EXTRACTS|x\n', 'csv'],
    ['a;b\n1;2\n', 'csv'],
    ['', 'unknown'],
  ])('%j is %s', (text, kind) => {
    expect(detectKind(Buffer.from(text, 'utf8'))).toBe(kind);
  });

  it('decides by the bytes, whatever the Content-Type said (the Concur download reads the same verdict)', () => {
    const b = (s: string) => Buffer.from(s, 'latin1');
    expect(detectKind(b('PK\x03\x04rest'))).toBe('zip');
    expect(detectKind(b('\xef\xbb\xbfEXTRACT|2025-01-01|'))).toBe('sae');
    expect(detectKind(b('!TRNS\tTRNSID'))).toBe('iif');
    expect(detectKind(b('\xef\xbb\xbfEmployee ID;Name'))).toBe('csv');
  });

  it('binary is unknown', () => {
    expect(detectKind(Buffer.from([0x25, 0x50, 0x44, 0x46, 0x00, 0x01, 0x02]))).toBe('unknown');
  });
});
