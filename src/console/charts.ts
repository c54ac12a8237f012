// The overview's charts as server-side SVG (d3-scale for scales and ticks, d3-shape for the stacked areas): no
// script in the browser, nothing fetched from elsewhere. Amounts place bars as floats; every label and tooltip shows
// the exact decimal text.
import { scaleBand, scaleLinear, scalePoint } from 'd3-scale';
import { area, stack } from 'd3-shape';
import type { CurrencySeries, StatePoint } from './series.js';

const W = 640;
const H = 220;
const M = { top: 12, right: 24, bottom: 28, left: 64 };

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function frame(id: string, title: string, desc: string, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" role="img" aria-labelledby="${id}-t ${id}-d" class="chart">`
    + `<title id="${id}-t">${esc(title)}</title><desc id="${id}-d">${esc(desc)}</desc>${body}</svg>`;
}

function yAxis(y: { ticks(n: number): number[]; tickFormat(n: number, f: string): (v: number) => string; (v: number): number }): string {
  const format = y.tickFormat(5, ',~f');
  return y.ticks(5).map((t) => `<g class="tick"><line x1="${M.left}" x2="${W - M.right}" y1="${y(t)}" y2="${y(t)}"/><text x="${M.left - 6}" y="${y(t)}" dy="0.32em" text-anchor="end">${esc(format(t))}</text></g>`).join('');
}

function xLabels(days: string[], at: (d: string) => number): string {
  // Every seventh day, counted back from the last, so today is always labelled.
  return days
    .filter((_, i) => (days.length - 1 - i) % 7 === 0)
    .map((d) => `<text class="x" x="${at(d)}" y="${H - 8}" text-anchor="middle">${d.slice(5)}</text>`)
    .join('');
}

/** Amounts loaded and delivered per day in one currency: a pair of bars per day. */
export function amountsChart(id: string, s: CurrencySeries): string {
  const days = s.points.map((p) => p.day);
  const values = s.points.flatMap((p) => [Number(p.loaded), Number(p.delivered)]);
  const y = scaleLinear().domain([Math.min(0, ...values), Math.max(0, ...values)]).nice().range([H - M.bottom, M.top]);
  const x = scaleBand().domain(days).range([M.left, W - M.right]).paddingInner(0.2);
  const inner = scaleBand().domain(['loaded', 'delivered']).range([0, x.bandwidth()]).padding(0.05);
  const bars = s.points.flatMap((p) => (['loaded', 'delivered'] as const).map((k) => {
    const v = Number(p[k]);
    if (v === 0) return '';
    const top = Math.min(y(v), y(0));
    return `<rect class="${k}" x="${(x(p.day) ?? 0) + (inner(k) ?? 0)}" y="${top}" width="${inner.bandwidth()}" height="${Math.max(1, Math.abs(y(v) - y(0)))}"><title>${p.day} ${k} ${esc(p[k])} ${esc(s.currency)}</title></rect>`;
  }));
  const desc = `Amounts loaded and delivered per day in ${s.currency}, ${days[0]} to ${days[days.length - 1]}; the table below the chart lists every figure.`;
  return frame(id, `${s.currency}: loaded and delivered per day`, desc, `${yAxis(y)}${bars.join('')}${xLabels(days, (d) => (x(d) ?? 0) + x.bandwidth() / 2)}`);
}

/** Batches per state at the end of each day, stacked. */
export function statesChart(id: string, points: StatePoint[], states: readonly string[]): string {
  const days = points.map((p) => p.day);
  const rows = points.map((p) => ({ day: p.day, ...p.counts }));
  const series = stack<Record<string, number | string>>().keys(states).value((d, k) => Math.max(0, Number(d[k] ?? 0)))(rows);
  const top = Math.max(1, ...series.flatMap((s) => s.map((d) => d[1])));
  const y = scaleLinear().domain([0, top]).nice().range([H - M.bottom, M.top]);
  const x = scalePoint().domain(days).range([M.left, W - M.right]);
  const shape = area<[number, number] & { data: Record<string, number | string> }>()
    .x((d) => x(String(d.data.day)) ?? 0)
    .y0((d) => y(d[0]))
    .y1((d) => y(d[1]));
  const paths = series.map((s) => `<path class="s-${esc(s.key)}" d="${shape(s as never) ?? ''}"><title>${esc(s.key)}</title></path>`).join('');
  const desc = `Batches in each state at the end of each day, ${days[0]} to ${days[days.length - 1]}; the table below the chart lists every figure.`;
  return frame(id, 'Batch states over time', desc, `${yAxis(y)}${paths}${xLabels(days, (d) => x(d) ?? 0)}`);
}
