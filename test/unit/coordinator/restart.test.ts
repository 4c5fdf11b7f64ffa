import { describe, expect, it } from 'vitest';
import { CrashHistory, type RestartPolicy } from '../../../src/coordinator/index.ts';

const policy: RestartPolicy = { initialDelayMs: 100, maxDelayMs: 1_000, factor: 2, maxCrashes: 4, windowMs: 10_000 };

describe('CrashHistory', () => {
  it('backs off exponentially, bounded by the maximum, with jitter between half and all of the ceiling', () => {
    const low = new CrashHistory(policy, () => 0);
    const high = new CrashHistory({ ...policy, maxCrashes: 10 }, () => 1);
    const lows = [0, 1, 2].map((i) => low.record(i));
    const highs = Array.from({ length: 6 }, (_, i) => high.record(i));
    expect(lows).toEqual([
      { action: 'restart', delayMs: 50, attempt: 1 },
      { action: 'restart', delayMs: 100, attempt: 2 },
      { action: 'restart', delayMs: 200, attempt: 3 },
    ]);
    expect(highs.map((d) => (d.action === 'restart' ? d.delayMs : -1))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('marks the instance failed after maxCrashes within the window, but forgets crashes older than the window', () => {
    const history = new CrashHistory(policy, () => 0.5);
    expect(history.record(0).action).toBe('restart');
    expect(history.record(1_000).action).toBe('restart');
    expect(history.record(2_000).action).toBe('restart');
    expect(history.record(3_000)).toEqual({ action: 'fail', crashes: 4 });

    const spread = new CrashHistory(policy, () => 0.5);
    for (const at of [0, 6_000, 12_000, 18_000, 24_000]) expect(spread.record(at).action).toBe('restart');
    expect(spread.recent(24_000)).toBe(2);
  });

  it('starts afresh after reset (a trigger by hand)', () => {
    const history = new CrashHistory(policy, () => 0);
    for (let i = 0; i < 3; i++) history.record(i);
    history.reset();
    expect(history.record(10)).toEqual({ action: 'restart', delayMs: 50, attempt: 1 });
  });
});
