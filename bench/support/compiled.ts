// The measured processes run compiled JavaScript, as production does (the image runs `tsc`'s output with plain node),
// not through tsx's loader: tsx added ~3 s of CPU and ~80 MB of peak RSS to a 200k-line `run-once` (BENCHMARKS.md).
// Only our own code is bundled (scripts/bundle.ts); every package comes from node_modules as in production.
import type { Bundle } from '../../scripts/bundle.js';

let compiled: Promise<Bundle> | undefined;

/** `source` (relative to the checkout, e.g. 'src/cli.ts') compiled once per benchmark process; removed at exit. */
export async function compiledEntry(source: string, ...others: string[]): Promise<string> {
  // Imported when first needed: a measured process that is itself a compiled benchmark does not load esbuild.
  compiled ??= import('../../scripts/bundle.js').then(({ bundle }) => bundle([source, ...others], 'packages', 'erp-sync-bench-')).then((b) => {
    process.once('exit', b.remove);
    return b;
  });
  return (await compiled).entry(source);
}
