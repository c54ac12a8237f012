// Bundles TypeScript entry points with esbuild into a temporary tree shaped like the checkout (src/cli.ts →
// <root>/src/cli.js, so ../package.json is found as in a checkout), with node_modules linked from the checkout for
// what stays external. Used where plain `node` must run our code without tsx's loader: the test suite's CLI children
// (test/support/compiled-cli.ts) and the benchmarks' measured processes (bench/support/compiled.ts).
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

export const REPO = join(import.meta.dirname, '..');

export interface Bundle {
  /** The bundled JavaScript of an entry given relative to the checkout (e.g. 'src/cli.ts'). */
  entry(source: string): string;
  remove(): void;
}

/**
 * `external`: package names (wildcards allowed) left to node_modules at run time, or 'packages' for every package
 * (only our own code is bundled). A chunk per dynamically imported module, names kept.
 */
export async function bundle(sources: string[], external: string[] | 'packages', prefix = 'erp-sync-bundle-'): Promise<Bundle> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(root, 0o755); // as root, processes started under another user (the embedded PostgreSQL) may look in
  await build({
    entryPoints: sources.map((s) => join(REPO, s)),
    outbase: REPO,
    outdir: root,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    keepNames: true,
    ...(external === 'packages' ? { packages: 'external' as const } : { external }),
    // Bundled CommonJS packages call require(): an ES module has none of its own.
    banner: { js: "import { createRequire as erpSyncCreateRequire } from 'node:module'; const require = erpSyncCreateRequire(import.meta.url);" },
    logLevel: 'error',
  });
  // package.json: the version --version prints and "type": "module"; node_modules: the external packages.
  copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  return {
    entry: (source) => join(root, relative(REPO, join(REPO, source)).replace(/\.ts$/, '.js')),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
