// Once per test run: one embedded PostgreSQL unless DATABASE_URL names a server, the migrated template database
// test databases are copied from, and the compiled CLI child processes run. Test files get them via inject().
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { compileCli } from './compiled-cli.js';
import { createTemplate } from './template-db.js';

const cleanups: Array<() => Promise<void> | void> = [];

function runDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `erp-sync-${prefix}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function databaseServer(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  const { startEmbeddedPostgres } = await import('../../src/db/embedded.js'); // an optional dependency
  const dir = runDir('test');
  chmodSync(dir, 0o755); // the run's own directory: as root the server's user must enter it (else it goes elsewhere)
  const server = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), persistent: false });
  cleanups.push(server.stop);
  return server.url;
}

export async function setup(project: TestProject): Promise<void> {
  // Node.js 22.1+ keeps compiled code for the run's many processes (test workers, CLI children); older ones ignore it.
  process.env.NODE_COMPILE_CACHE ||= runDir('compile-cache');
  try {
    const [url, cli] = await Promise.all([databaseServer(), compileCli()]);
    cleanups.push(cli.remove);
    const template = await createTemplate(url);
    cleanups.push(template.drop);
    project.provide('databaseUrl', url);
    project.provide('templateDatabase', template.name);
    project.provide('cliEntry', cli.entry);
  } catch (e) {
    await teardown(); // no server left running when the setup fails half-way
    throw e;
  }
}

export async function teardown(): Promise<void> {
  for (const c of cleanups.reverse()) await c();
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** A migrated database on that server, for CREATE DATABASE … TEMPLATE (nobody may connect to it). */
    templateDatabase: string;
    /** The compiled CLI (src/cli.ts as JavaScript) child processes run by default. */
    cliEntry: string;
  }
}
