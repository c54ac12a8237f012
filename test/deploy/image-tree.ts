// The production image's /app, built here without a Docker engine: the Dockerfile's build stage (compile, then
// remove the paths its `rm -r` names) and its dependency stage (what `npm ci --omit=dev --omit=optional` installs,
// read from package-lock.json and linked from the checkout's node_modules).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { REPO } from '../e2e/world.js';

export const DOCKERFILE = readFileSync(join(REPO, 'Dockerfile'), 'utf8');

/** What the build stage removes from dist/ (the sandboxes). */
export function prunedPaths(): string[] {
  const m = DOCKERFILE.match(/^FROM build AS pruned\nRUN rm -r (.+)$/m);
  if (!m) throw new Error('the Dockerfile no longer removes the sandboxes in its `pruned` stage with `RUN rm -r …`');
  return m[1]!.trim().split(/\s+/);
}

/** Top-level packages `npm ci --omit=dev --omit=optional` installs (their nested packages come with them). */
export function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && path.lastIndexOf('node_modules/') === 0 && !p.dev && !p.optional && !p.devOptional)
    .map(([path]) => path.slice('node_modules/'.length));
}

export function buildImageTree(): string {
  const app = join(mkdtempSync(join(tmpdir(), 'erp-sync-image-')), 'app');
  // --noCheck: the same emit without type checking, which is `npm run typecheck`'s job (a third of a core-minute here).
  execFileSync(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO, 'tsconfig.build.json'), '--noCheck', '--outDir', join(app, 'dist')]);
  for (const p of prunedPaths()) rmSync(join(app, p), { recursive: true }); // throws when the Dockerfile names a path that no longer exists
  for (const pkg of productionPackages()) {
    mkdirSync(dirname(join(app, 'node_modules', pkg)), { recursive: true });
    symlinkSync(join(REPO, 'node_modules', pkg), join(app, 'node_modules', pkg), 'dir');
  }
  for (const p of ['package.json', 'bin', 'config']) cpSync(join(REPO, p), join(app, p), { recursive: true });
  return app;
}

/** Every file under the tree (not following the dependency links) with its size and modification time. */
export function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isSymbolicLink()) continue;
      if (e.isDirectory()) walk(p);
      else {
        const s = statSync(p);
        out.set(relative(root, p), `${s.size}:${s.mtimeMs}`);
      }
    }
  };
  walk(root);
  return out;
}
