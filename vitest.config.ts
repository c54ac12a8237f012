import { availableParallelism } from 'node:os';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// Pure unit files: no database, child process, server, environment or mock, and the modules they import keep no
// state a test changes (only caches and constants). Their own project, so that running one of them needs neither the
// embedded PostgreSQL nor the compiled CLI (the other project's global setup).
const UNIT = [
  'test/alerts/pure.test.ts',
  'test/concur/{selection,urls,xml}.test.ts',
  'test/console/series.test.ts',
  'test/parsers/{amount-date,csv,decode,detect,generators,limits,parse-command,property,sae,zip}.test.ts',
  'test/pipeline/{limit,machine,reconcile,waiting}.test.ts',
  'test/{qitech,saferpay,sinks,xero}/pure.test.ts',
  'test/security/delivery-names.test.ts',
  'test/sinks/chunks.test.ts',
];

// The files that run child processes (the CLI, tsc, a browser) take longest: started first, so the run does not end
// on one of them alone. Vitest's own order (the last run's durations when it has them, else file size) applies
// within each group; a fresh checkout has no durations, and the crash suite's files are the smallest.
const LONG = /^test\/(e2e|cli|deploy)\/|^test\/parsers\/hostile\./;

class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const long = (f: TestSpecification) => LONG.test(f.moduleId.slice(f.project.config.root.length + 1));
    return [...sorted.filter(long), ...sorted.filter((f) => !long(f))];
  }
}

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most test files wait on child processes, servers and the database rather than compute: twice the cores
    // (vitest's default is cores - 1, one file at a time on two cores). Capped for the connections a run opens
    // on a shared PostgreSQL (max_connections 100 by default).
    maxWorkers: Math.min(2 * availableParallelism(), 8),
    sequence: { sequencer: LongFirst },
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, isolate: false } },
      // The embedded PostgreSQL, the template database and the compiled CLI: for these files only (a global setup at
      // the root would run once per project). These files share workers and imports too: each brings its own database,
      // servers and clock, and the state modules keep for the process (the log's secret list, Xero's per-tenant
      // limiters on the real clock) is what production shares across companies as well. A worker's start and imports
      // cost ~1 s of CPU a file on this 2-core machine.
      { extends: true, test: { name: 'rest', isolate: false, include: ['test/**/*.test.ts'], exclude: UNIT, globalSetup: ['test/support/global-setup.ts'] } },
    ],
  },
});
