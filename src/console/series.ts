// Pure shaping of the overview's figures into chart series: the last N UTC days, amounts per currency and day,
// and batches per state at the end of each day (today's counts walked back through each day's net changes).
import type { DayAmount } from '../store/console.js';

/** The `n` UTC days ending with `now`'s, oldest first, as YYYY-MM-DD. */
export function lastDays(now: Date, n: number): string[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: n }, (_, i) => new Date(today - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

export interface CurrencySeries {
  currency: string;
  /** One point per day (days without movement: "0"); exact decimal text. */
  points: Array<{ day: string; loaded: string; delivered: string }>;
}

export function amountSeries(rows: DayAmount[], days: string[]): CurrencySeries[] {
  const currencies = [...new Set(rows.map((r) => r.currency))].sort();
  return currencies.map((currency) => {
    const byDay = new Map(rows.filter((r) => r.currency === currency).map((r) => [r.day, r]));
    return { currency: currency || '(none)', points: days.map((day) => ({ day, loaded: byDay.get(day)?.loaded ?? '0', delivered: byDay.get(day)?.delivered ?? '0' })) };
  });
}

export interface StatePoint {
  day: string;
  counts: Record<string, number>;
}

/**
 * Batches per state at the end of each day: today's counts, and for each earlier day the counts after it with the
 * net changes of the days after it taken back.
 */
export function stateSeries(current: Array<{ state: string; n: number }>, deltas: Array<{ day: string; state: string; delta: number }>, days: string[], states: readonly string[]): StatePoint[] {
  const counts: Record<string, number> = Object.fromEntries(states.map((s) => [s, 0]));
  for (const c of current) counts[c.state] = (counts[c.state] ?? 0) + c.n;
  const last = days[days.length - 1] ?? '';
  // Changes stamped after the last day shown (a clock ahead of ours) belong to no day: taken back first.
  for (const d of deltas) if (d.day > last) counts[d.state] = (counts[d.state] ?? 0) - d.delta;
  const out: StatePoint[] = [];
  for (let i = days.length - 1; i >= 0; i--) {
    out.unshift({ day: days[i]!, counts: { ...counts } });
    for (const d of deltas) if (d.day === days[i]) counts[d.state] = (counts[d.state] ?? 0) - d.delta;
  }
  return out;
}
