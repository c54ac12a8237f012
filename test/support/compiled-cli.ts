// The CLI compiled once per test run, so the suite's many child processes skip tsx's loader: the same esbuild
// transform tsx applies on the fly (same target, names kept), done ahead of time into a tree shaped like the checkout.
// Tests about how people launch it (npm start, bin/erp-sync.js, tsx) still spawn those.
import { build } from 'esbuild';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..', '..');
/** What the production build compiles (tsconfig.build.json's include). */
const ROOTS = ['src', 'parsers', 'sinks', 'sandboxes', 'migrations'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
    .map((e) => join(e.parentPath, e.name));
}

/** Compiles the sources into a temporary tree; returns its CLI entry and the tree's removal. */
export async function compileCli(): Promise<{ entry: string; remove(): void }> {
  const root = mkdtempSync(join(tmpdir(), 'erp-sync-compiled-'));
  chmodSync(root, 0o755); // as root, processes the CLI starts under another user (the embedded PostgreSQL) may look in
  await build({
    entryPoints: ROOTS.flatMap((r) => sources(join(REPO, r))),
    outbase: REPO,
    outdir: root,
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    keepNames: true,
    sourcemap: 'inline',
    logLevel: 'error',
  });
  // package.json: the version --version prints and "type": "module"; node_modules: the dependencies, resolved as in the checkout.
  copyFileSync(join(REPO, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  return { entry: join(root, 'src', 'cli.js'), remove: () => rmSync(root, { recursive: true, force: true }) };
}
