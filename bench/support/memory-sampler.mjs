// Preloaded into a measured child (`node --import`) when BENCH_MEMORY=1: samples process.memoryUsage() every 25 ms
// and prints, at exit, where the resident memory stood at its peak (V8 heap used / committed, memory outside the
// heap, of which ArrayBuffers) and a coarse timeline, so a peak can be told apart: the heap, or buffers in flight.
/* global setInterval */
const t0 = Date.now();
const mb = (n) => Math.round(n / 1048576);
const samples = [];
let peak;
setInterval(() => {
  const m = process.memoryUsage();
  const s = { s: ((Date.now() - t0) / 1000).toFixed(1), rss: mb(m.rss), heap: `${mb(m.heapUsed)}/${mb(m.heapTotal)}`, external: mb(m.external), arrayBuffers: mb(m.arrayBuffers) };
  samples.push(s);
  if (!peak || s.rss > peak.rss) peak = s;
}, 25).unref();
const line = (s) => `${s.s} s: rss ${s.rss} MB, heap used/committed ${s.heap} MB, external ${s.external} MB (ArrayBuffers ${s.arrayBuffers} MB)`;
process.on('exit', () => {
  if (!peak) return;
  const every = Math.max(1, Math.ceil(samples.length / 20));
  const timeline = samples.filter((_, i) => i % every === 0).map((s) => `bench-memory:   ${line(s)}`);
  process.stderr.write(`bench-memory: peak at ${line(peak)}\n${timeline.join('\n')}\n`);
});
