// Runs the real CLI as a child process (the run's compiled CLI, see test/support/compiled-cli.ts) against a test
// database, for what people see.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';

export const REPO = join(import.meta.dirname, '../..');

export function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [inject('cliEntry'), ...args], {
      cwd: REPO,
      env: { ...process.env, ERP_SYNC_CONFIG: '', ERP_SYNC_SECRET_KEY: '', ERP_SYNC_SECRET_KEY_FILE: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (d: Buffer) => ((stdout += d.toString()), (output += d.toString())));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, output }));
  });
}
