// Starts one embedded PostgreSQL per test run unless DATABASE_URL names a server; test files get the URL via inject().
import type { TestProject } from 'vitest/node';

let stop: (() => Promise<void>) | undefined;

export async function setup(project: TestProject): Promise<void> {
  let url = process.env.DATABASE_URL;
  if (!url) {
    const { startEmbeddedPostgres } = await import('../../src/db/embedded.js');
    const { chmodSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const dir = mkdtempSync(join(tmpdir(), 'erp-sync-test-'));
    chmodSync(dir, 0o755); // the run's own directory: as root the server's user must enter it (else it goes elsewhere)
    const server = await startEmbeddedPostgres({ dataDir: join(dir, 'pg'), persistent: false });
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
