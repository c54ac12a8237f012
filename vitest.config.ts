import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most test files wait on child processes, servers and the database rather than compute: twice the cores
    // (vitest's default is cores - 1, one file at a time on two cores). Capped for the connections a run opens
    // on a shared PostgreSQL (max_connections 100 by default).
    maxWorkers: Math.min(2 * availableParallelism(), 8),
  },
});
