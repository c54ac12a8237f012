import { describe, expect, it } from 'vitest';
import { whyWaiting } from '../../src/pipeline/waiting.js';
import { runSummary } from '../../src/pipeline/run-summary.js';
import { unfinishedStarts } from '../../src/pipeline/machine.js';

const now = new Date('2026-11-22T10:00:00Z');
const later = new Date('2026-11-22T11:00:00Z');
const base = { nextAttemptAt: later, lastError: null, heldBy: null };

describe('why a batch waits', () => {
  it('names the holder, the close window, no reports, the close watch, the back-off and its error, or due', () => {
    expect(whyWaiting({ ...base, state: 'fetched', heldBy: 'host:1:ab' }, now)).toEqual({ kind: 'held', by: 'host:1:ab' });
    expect(whyWaiting({ ...base, state: 'discovered' }, now)).toEqual({ kind: 'close-window', until: later });
    expect(whyWaiting({ ...base, state: 'empty' }, now)).toEqual({ kind: 'no-reports', until: later });
    expect(whyWaiting({ ...base, state: 'closing' }, now)).toEqual({ kind: 'close-watch', until: later });
    expect(whyWaiting({ ...base, state: 'loaded', lastError: 'sftp down' }, now)).toEqual({ kind: 'back-off', until: later, error: 'sftp down' });
    expect(whyWaiting({ ...base, state: 'fetched', nextAttemptAt: now }, now)).toEqual({ kind: 'due' });
    expect(whyWaiting({ ...base, state: 'done' }, now)).toBeNull();
  });
});

describe("run-once's summary", () => {
  it('says per company what was done and what waits; only the close window is not a failure', () => {
    const s = runSummary(
      new Map([
        ['a', { outcome: 'done' as const }],
        ['b', { outcome: 'held' as const, heldBy: 'host:7:cd' }],
      ]),
      [
        { companyId: 'a', kind: 'done', n: 3 },
        { companyId: 'a', kind: 'quarantined', n: 1 },
      ],
      [
        { ...base, companyId: 'a', concurBatchId: 'X1', state: 'discovered' },
        { ...base, companyId: 'a', concurBatchId: 'X2', state: 'loaded', lastError: 'sftp down' },
        { ...base, companyId: 'a', concurBatchId: 'X3', state: 'fetched', heldBy: 'host:7:cd' },
      ],
      now,
    );
    expect(s.text).toBe(
      'a: listed, 3 done, 1 quarantined, 1 wait for the close window until 2026-11-22T11:00:00.000Z (X1), 1 back off until 2026-11-22T11:00:00.000Z after: sftp down (X2), 1 held by host:7:cd (X3); ' +
        'b: not listed: held by host:7:cd, 0 done',
    );
    // The quarantine, the back-off, the held batch and the held listing.
    expect(s.failed).toBe(4);
  });

  it('nothing failed when all that waits waits for its close window', () => {
    const s = runSummary(new Map([['a', { outcome: 'done' as const }]]), [{ companyId: 'a', kind: 'done', n: 2 }], [{ ...base, companyId: 'a', concurBatchId: 'X1', state: 'discovered' }], now);
    expect(s.failed).toBe(0);
  });
});

describe('unfinished starts', () => {
  it('quarantines a step begun N times without finishing, naming the step and N', () => {
    expect(unfinishedStarts({ stepStarted: 'load', stepStarts: 2 }, 'load', 3)).toBeNull();
    expect(unfinishedStarts({ stepStarted: 'fetch', stepStarts: 5 }, 'load', 3)).toBeNull();
    expect(unfinishedStarts({ stepStarted: 'load', stepStarts: 3 }, 'load', 3)).toEqual({
      kind: 'invalid',
      reason: 'step load did not finish in 3 attempts (the process stopped each time)',
    });
  });
});
