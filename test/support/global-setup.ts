// Starts one embedded PostgreSQL per test run unless DATABASE_URL names a server; test files get the URL via inject().
import type { TestProject } from 'vitest/node';

let stop: (() => Promise<void>) | undefined;

export async function setup(project: TestProject): Promise<void> {
  let url = process.env.DATABASE_URL;
  if (!url) {
    const { startEmbeddedPostgres } = await import('../../src/db/embedded.js');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const server = await startEmbeddedPostgres({ dataDir: join(mkdtempSync(join(tmpdir(), 'erp-sync-test-')), 'pg'), persistent: false });
    url = server.url;
    stop = server.stop;
  }
  project.provide('databaseUrl', url);
}

export async function teardown(): Promise<void> {
  await stop?.();
}

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}
