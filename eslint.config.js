// Flat config: typescript-eslint's recommended rules over every TypeScript file, and the house's layering.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

// The floors of the house, ground first. A file may import its own floor and those below, never one above.
const LAYERS = [
  ['base', ['src/model/**', 'src/money.ts', 'src/printable.ts', 'src/csv-injection.ts', 'src/faults.ts', 'src/backoff.ts', 'src/config-error.ts', 'src/repeats.ts']],
  ['infrastructure', ['src/log.ts', 'src/heap.ts', 'src/progress.ts', 'src/optional.ts', 'src/net/**', 'src/http/**', 'src/db/embedded.ts', 'src/db/postgres-process.ts', 'src/db/server-place.ts', 'src/db/sql.ts']],
  ['formats and the sink contract', ['parsers/**', 'sinks/*.ts', 'sinks/journal/**', 'src/alerts/config.ts', 'src/alerts/causes.ts', 'src/alerts/render.ts', 'src/alerts/sign.ts']],
  ['store', ['src/store/**', 'src/metrics.ts', 'migrations/**', 'src/db/database.ts', 'src/db/migrate.ts']],
  ['external systems', ['sinks/sftp/**', 'sinks/xero/**', 'sinks/qitech/**', 'src/saferpay/**']],
  ['configuration', ['src/config/**']],
  ['the Concur source', ['src/concur/**']],
  ['pipeline', ['src/pipeline/**', 'src/alerts/send.ts', 'src/alerts/engine.ts']],
  ['operator console', ['src/console/**']],
  ['process', ['src/runtime.ts', 'src/daemon.ts', 'src/defaults/**']],
  ['assembly', ['src/app.ts']],
  ['commands', ['src/commands/**']],
  ['entry point', ['src/cli.ts']],
];
/** no-restricted-paths takes a zone's paths all as globs or all as plain paths: a single file as a glob matching it alone. */
const asGlob = (path) => (path.includes('*') ? path : path.replace(/\.ts$/, '.[t]s'));
/** What a sandbox may use of production: what it shares as data and contract, never an adapter's code it is there to check. */
const SANDBOX_USES = new Set(['base', 'infrastructure', 'formats and the sink contract', 'configuration']);
const globsOf = (layers) => layers.flatMap(([, paths]) => paths.map(asGlob));
const PRODUCTION = globsOf(LAYERS);

const zones = [
  ...LAYERS.slice(0, -1).map(([name, target], i) => ({
    target: target.map(asGlob),
    from: globsOf(LAYERS.slice(i + 1)),
    message: `${name} imports nothing from a floor above it (see ARCHITECTURE.md, "Rooms").`,
  })),
  // Production reaches a sandbox only through its zero-config defaults, loaded when used (the image leaves both out).
  { target: PRODUCTION.filter((g) => g !== 'src/defaults/**'), from: ['sandboxes/**'], message: 'only src/defaults/ (and tests, benchmarks) may open a sandbox.' },
  { target: ['sandboxes/**'], from: globsOf(LAYERS.filter(([name]) => !SANDBOX_USES.has(name))), message: 'a sandbox checks production with code of its own: it uses only the base, infrastructure, formats, sink contract and configuration.' },
  { target: ['sandboxes/**', 'bench/**', 'scripts/**', ...PRODUCTION], from: ['test/**'], message: 'nothing outside test/ imports from it.' },
];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'var/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'parsers/**/*.ts', 'sinks/**/*.ts', 'sandboxes/**/*.ts', 'migrations/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // The plugin's TypeScript settings (which files it parses to follow imports), with the resolver that maps `.js` to `.ts`.
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver': undefined,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: 'tsconfig.json' })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones }],
      'import-x/no-cycle': 'error',
    },
  },
  { files: ['bin/*.js', '.ci/*.mjs', 'test/support/*.mjs', 'bench/support/*.mjs'], languageOptions: { globals: { process: 'readonly', URL: 'readonly' } } },
);
