// The charts' series: the days shown, amounts per currency and day, batches per state walked back from today.
import { describe, expect, it } from 'vitest';
import { amountSeries, lastDays, stateSeries } from '../../src/console/series.js';

describe('chart series', () => {
  it('lists the last N UTC days, oldest first, ending today', () => {
    expect(lastDays(new Date('2026-03-01T23:59:00Z'), 3)).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });

  it('gives every currency a point for every day, with exact decimal text', () => {
    const days = ['2026-11-01', '2026-11-02'];
    expect(amountSeries([{ day: '2026-11-02', currency: 'EUR', loaded: '0.10', delivered: '0.20' }], days)).toEqual([
      { currency: 'EUR', points: [{ day: '2026-11-01', loaded: '0', delivered: '0' }, { day: '2026-11-02', loaded: '0.10', delivered: '0.20' }] },
    ]);
  });

  it('walks today’s counts back through each day’s net changes', () => {
    const days = ['2026-11-01', '2026-11-02', '2026-11-03'];
    // On the 2nd two batches were discovered and one went on to done; on the 3rd the other was quarantined.
    const deltas = [
      { day: '2026-11-02', state: 'discovered', delta: 1 },
      { day: '2026-11-02', state: 'done', delta: 1 },
      { day: '2026-11-03', state: 'discovered', delta: -1 },
      { day: '2026-11-03', state: 'quarantined', delta: 1 },
    ];
    const points = stateSeries([{ state: 'done', n: 1 }, { state: 'quarantined', n: 1 }], deltas, days, ['discovered', 'done', 'quarantined']);
    expect(points.map((p) => p.counts)).toEqual([
      { discovered: 0, done: 0, quarantined: 0 },
      { discovered: 1, done: 1, quarantined: 0 },
      { discovered: 0, done: 1, quarantined: 1 },
    ]);
  });
});
