import { describe, expect, it, vi, afterEach } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { main } from '../src/cli.js';

function captureStreams() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((c) => (out.push(String(c)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((c) => (err.push(String(c)), true));
  return { out: () => out.join(''), err: () => err.join('') };
}

describe('erp-sync command line', () => {
  afterEach(() => vi.restoreAllMocks());

  it('lists the commands with --help and exits 0', async () => {
    const io = captureStreams();
    expect(await main(['--help'])).toBe(0);
    for (const cmd of ['start', 'migrate']) expect(io.out()).toMatch(new RegExp(`^\\s+${cmd}\\b`, 'm'));
  });

  it('exits 2 on an unknown command', async () => {
    const io = captureStreams();
    expect(await main(['no-such-command'])).toBe(2);
    expect(io.err()).toContain("unknown command 'no-such-command'");
  });

  it('exits 2 naming the key when the configuration has an unknown key', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'erp-sync-cli-')), 'c.yaml');
    writeFileSync(file, 'companies: [{id: acme}]\ndatabse: {url: "postgres://x"}\n');
    const io = captureStreams();
    expect(await main(['--config', file, 'migrate'])).toBe(2);
    expect(io.err()).toMatch(/databse/);
  });
});
