// The hostile files of issue 15, each parsed by `erp-sync parse` in a child process with the default limits:
// refused with an error naming file, line and limit, exit 1, and a peak RSS below 250 MiB (measured by the
// child itself). Before the limits, each of them took 400 MB to over 4 GB, or exited 0 having read nothing.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_ZIP_LIMITS } from '../../parsers/zip.js';
import { directoriesZip, distinctHeadersIif, iifBlockBombZip, wideSaeLine } from '../support/hostile-files.js';

const REPO = join(import.meta.dirname, '..', '..');
const MAX_RSS_KIB = 250 * 1024;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hostile-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** `erp-sync parse <file>` as a child process without configuration (default limits): exit code, stderr, peak RSS. */
async function parseInChild(file: string): Promise<{ code: number | null; stderr: string; maxRssKiB: number }> {
  const rssFile = join(dir, 'max-rss');
  await rm(rssFile, { force: true });
  // The run's compiled CLI, as production runs compiled JavaScript (tsx's loader would add its own memory).
  const child = spawn(process.execPath, ['--import', join(REPO, 'test', 'support', 'max-rss.mjs'), inject('cliEntry'), 'parse', file], {
    cwd: REPO,
    env: { ...process.env, ERP_SYNC_CONFIG: '', MAX_RSS_FILE: rssFile },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code] = (await once(child, 'close')) as [number | null];
  const maxRssKiB = Number(await readFile(rssFile, 'utf8').catch(() => 'NaN'));
  return { code, stderr, maxRssKiB };
}

describe('hostile files are refused under 250 MiB (default limits, child process)', { timeout: 300_000 }, () => {
  it('an IIF block bomb in a ~4 MB QuickBooks ZIP under the ratio guard: 20,000 SPL rows × 1,500 fields', async () => {
    const { zip, uncompressed } = await iifBlockBombZip(20_000, 1_500);
    expect(zip.length).toBeGreaterThan(3_000_000);
    expect(zip.length).toBeLessThan(5_000_000);
    expect(uncompressed / zip.length).toBeLessThan(DEFAULT_ZIP_LIMITS.maxCompressionRatio);
    const path = join(dir, 'bomb.zip');
    await writeFile(path, zip);
    const r = await parseInChild(path);
    expect(r.stderr).toMatch(/error: bomb\.iif:\d+: transaction block from line 4 has more fields than the limit of 200000 \(parseLimits\.maxIifBlockFields\)/);
    expect(r.code).toBe(1);
    expect(r.maxRssKiB).toBeLessThan(MAX_RSS_KIB);
  });

  it('an IIF file of 60,000 distinct !H<n> header rows', async () => {
    const path = join(dir, 'headers.iif');
    await distinctHeadersIif(path, 60_000, 120);
    const r = await parseInChild(path);
    expect(r.stderr).toMatch(/error: headers\.iif:\d+: header rows of more bytes than the limit of 1048576 \(parseLimits\.maxIifHeaderBytes\)/);
    expect(r.code).toBe(1);
    expect(r.maxRssKiB).toBeLessThan(MAX_RSS_KIB);
  });

  it('a ZIP of 400,000 directory entries', async () => {
    const path = join(dir, 'dirs.zip');
    await writeFile(path, directoriesZip(400_000));
    const r = await parseInChild(path);
    expect(r.stderr).toContain('error: dirs.zip: 400000 entries, more than the limit of 64 (zipLimits.maxEntries)');
    expect(r.code).toBe(1);
    expect(r.maxRssKiB).toBeLessThan(MAX_RSS_KIB);
  });

  it('an SAE line of 1.9 million fields', async () => {
    const path = join(dir, 'wide.txt');
    await wideSaeLine(path, 1_900_000);
    const r = await parseInChild(path);
    expect(r.stderr).toContain('error: wide.txt:2: DETAIL line has more than 400 fields, expected 400');
    expect(r.code).toBe(1);
    expect(r.maxRssKiB).toBeLessThan(MAX_RSS_KIB);
  });
});
