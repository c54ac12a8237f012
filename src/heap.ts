// V8's garbage collector tuned for a process that streams big files through a small live heap. Set at run time
// (node:v8), from the CLI's entry, so every way erp-sync runs gets the same: the image (node bin/erp-sync.js),
// a checkout (tsx src/cli.ts), the benchmarks' and tests' compiled children. Both flags are read by V8 whenever
// it sizes a space, unlike --max-old-space-size or --max-semi-space-size, which only the command line can set.
import { setFlagsFromString } from 'node:v8';

/**
 * - `--heap-growing-percent=100`: after each full collection the old generation may grow to twice its live size
 *   before the next one, instead of V8's default of up to 4×. A 200k-line load promotes ~70 MB of short-lived
 *   rows into the old generation; with a live heap of ~25 MB the default let all of it pile up before a full
 *   collection (peak RSS of `run-once` +50 MB). A proportional factor, not a cap: a daemon with a large live heap
 *   (thousands of companies) still grows as it needs.
 * - `--semi-space-growth-factor=1`: the young generation keeps the size it has at start-up (a few MB) instead of
 *   doubling up to 2 × 16 MB, whose pages then stay resident.
 * Measured on `bench:run-once` at 200k lines (BENCHMARKS.md, issue 18): peak RSS 168–189 MB instead of 224–240 for
 * SAE, CSV and bundle, CPU and wall time within a few per cent. 50 % cost ~10 % more CPU for no lower a peak; 200 %
 * saved nothing.
 */
export function tuneHeap(): void {
  setFlagsFromString('--heap-growing-percent=100');
  setFlagsFromString('--semi-space-growth-factor=1');
}
