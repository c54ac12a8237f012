// Parses a generated SAE of BENCH_SAE_MB megabytes (default 1024): time, rows/s, MB/s, peak RSS, and the
// ratio to a baseline (decoding and splitting lines only) measured in the same run.
// `npx tsx bench/parse-sae.ts`. The file is written to a temp dir (by a child process, so the peak
// RSS measured here is the parser's alone) and deleted afterwards.
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Money, moneyText } from '../src/money.js';
import { decodeLines } from '../parsers/decode.js';
import { numberedLines } from '../parsers/lines.js';
import { parseSae } from '../parsers/sae.js';
import { newTally } from '../parsers/tally.js';
import { writeSaeFile } from '../sandboxes/files/index.js';

const spec = { batchId: '1001', batchName: 'bench', closeDate: '2025-06-30', seed: 1, reports: 0, linesPerReport: 8 };

if (process.argv[2] === '--generate') {
  const result = await writeSaeFile(process.argv[3] ?? '', { ...spec, detailLines: Number(process.argv[4]) });
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
}

const targetMb = Number(process.env.BENCH_SAE_MB ?? 1024);
// Generated DETAIL lines are about 1 KB; a small sample fixes the exact figure.
const BYTES_PER_LINE_SAMPLE = 2000;

const dir = await mkdtemp(join(tmpdir(), 'erp-sync-bench-'));
try {
  const generate = (path: string, lines: number): { bytes: number; total: string } =>
    JSON.parse(execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--generate', path, String(lines)], { encoding: 'utf8' })) as { bytes: number; total: string };
  const sample = generate(join(dir, 'sample.txt'), BYTES_PER_LINE_SAMPLE);
  const detailLines = Math.max(1, Math.round((targetMb * 1024 * 1024) / (sample.bytes / BYTES_PER_LINE_SAMPLE)));
  const path = join(dir, 'bench.sae');
  const t0 = performance.now();
  const { bytes, total } = generate(path, detailLines);
  const genSeconds = (performance.now() - t0) / 1000;

  const tally = newTally();
  let sum = new Money(0);
  let rows = 0;
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  for await (const t of parseSae(createReadStream(path), { file: 'bench.sae', fileSha256: '-' }, tally)) {
    sum = sum.plus(t.amount);
    rows++;
  }
  const seconds = (performance.now() - t1) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // Baseline in the same run: only decoding and splitting lines, the floor under any line parser.
  const t2 = performance.now();
  let lines = 0;
  for await (const batch of numberedLines(decodeLines(createReadStream(path), { encoding: 'auto', file: 'bench.sae' }))) lines += batch.length;
  const baseSeconds = (performance.now() - t2) / 1000;
  const mb = bytes / 1024 / 1024;
  const peakMb = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
  console.log(`generated ${mb.toFixed(0)} MB, ${detailLines} DETAIL lines in ${genSeconds.toFixed(1)} s (child process)`);
  console.log(`parsed ${rows} rows in ${seconds.toFixed(1)} s wall (${cpuSeconds.toFixed(1)} s CPU): ${Math.round(rows / seconds)} rows/s, ${(mb / seconds).toFixed(1)} MB/s`);
  console.log(`baseline (decode + split ${lines} lines only) ${baseSeconds.toFixed(1)} s: parsing takes ${(seconds / baseSeconds).toFixed(1)}x the baseline`);
  console.log(`sum ${moneyText(sum)} (header ${total}, ${moneyText(sum) === total ? 'equal' : 'DIFFERENT'})`);
  console.log(`peak RSS ${peakMb.toFixed(0)} MB (target < 200 MB): ${peakMb < 200 ? 'ok' : 'OVER'}`);
  if (moneyText(sum) !== total || rows !== detailLines) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
