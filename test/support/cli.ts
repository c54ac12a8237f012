// The erp-sync command line as a child process: the run's compiled CLI (global-setup.ts), or an entry a test names
// (bin/erp-sync.js, an image's tree).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { inject } from 'vitest';

export const REPO = join(import.meta.dirname, '..', '..');

export interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  stdout: string;
  stderr: string;
}

export interface Child {
  done: Promise<ChildResult>;
  kill(signal: NodeJS.Signals): void;
  pid: number;
  read(): string;
}

/**
 * Runs `erp-sync <args>` with the given environment on top of ours, minus the settings a developer's shell may
 * carry (DATABASE_URL, ERP_SYNC_DATA_DIR, HTTP_PORT, HTTP_HOST, ERP_SYNC_CONFIG); `entry` is the script (default: src/cli.ts
 * compiled once per run).
 */
export function spawnCli(args: string[], env: Record<string, string> = {}, opts: { entry?: string; cwd?: string } = {}): Child {
  const entry = opts.entry ?? inject('cliEntry');
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: opts.cwd ?? REPO,
    env: { ...process.env, DATABASE_URL: '', ERP_SYNC_DATA_DIR: '', HTTP_PORT: '', HTTP_HOST: '', ERP_SYNC_CONFIG: '', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => ((output += d.toString()), (stdout += d.toString())));
  child.stderr.on('data', (d: Buffer) => ((output += d.toString()), (stderr += d.toString())));
  const done = new Promise<ChildResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, output, stdout, stderr })));
  return { done, kill: (s) => child.kill(s), pid: child.pid!, read: () => output };
}

/** Resolves with the first match of `re` in the child's output (no fixed sleeps: it waits for the line itself). */
export function waitForOutput(read: () => string, re: RegExp, done: Promise<unknown>): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      const m = read().match(re);
      if (m) {
        clearInterval(timer);
        resolve(m);
      }
    }, 50);
    void done.then(() => {
      clearInterval(timer);
      reject(new Error(`exited before ${re}: ${read().slice(-2000)}`));
    });
  });
}
