// `npm run bench`: bench:load, bench:run-once, bench:sftp and bench:scale in sequence at the sizes of issue 18's goals
// (a long run, see BENCHMARKS.md; the environment can lower them), then every goal line together.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const BENCHES: Array<{ name: string; file: string; env: Record<string, string>; summary: RegExp }> = [
  { name: 'bench:load', file: 'load.ts', env: {}, summary: /^goal / },
  { name: 'bench:run-once', file: 'run-once.ts', env: {}, summary: /^goal / },
  { name: 'bench:sftp', file: 'sftp.ts', env: {}, summary: /^goal / },
  {
    name: 'bench:scale',
    file: 'scale.ts',
    env: { BENCH_SCALE_DAEMONS: '1', BENCH_SCALE_SIZES: '100,5000', BENCH_SCALE_BIG_MB: '0' },
    summary: /^goal |speed-up|fairness/,
  },
];

function run(file: string, env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // The environment wins over the modest defaults.
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, file)], { env: { ...env, ...process.env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      process.stdout.write(d);
      output += d.toString();
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

const summary: string[] = [];
for (const b of BENCHES) {
  console.log(`\n=== ${b.name}`);
  const t0 = performance.now();
  const { code, output } = await run(b.file, b.env);
  const lines = output.split('\n').filter((l) => b.summary.test(l.trim())).map((l) => l.trim());
  summary.push(`${b.name} (${((performance.now() - t0) / 1000).toFixed(0)} s${code === 0 ? '' : `, exit ${code}`}):`, ...lines.map((l) => `  ${l}`));
  if (code !== 0) process.exitCode = 1;
}
console.log(`\n=== summary\n${summary.join('\n')}`);
