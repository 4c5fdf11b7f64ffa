import { describe, expect, it } from 'vitest';
import { AlertWatcher, type StageStatus, type StatusSnapshot } from '../../../src/coordinator/index.ts';

interface Point {
  at: number;
  lag: number;
  committed: number;
  members?: string[];
  state?: StageStatus['groupState'];
  dlq?: number;
}

function snapshot(p: Point): StatusSnapshot {
  const stage: StageStatus = {
    stage: 's',
    vertex: 'node-s',
    group: 'g',
    trigger: 'always',
    groupState: p.state ?? 'Stable',
    members: (p.members ?? ['m1']).map((memberId) => ({ memberId, clientId: 'c', host: 'h', assignment: [] })),
    partitions: [{ topic: 't', partition: 0, committed: String(p.committed), end: String(p.committed + p.lag), lag: p.lag }],
    lag: p.lag,
    inputRate: null,
    outputRate: null,
    deadLetterTopic: 't.dlq',
    deadLettered: p.dlq ?? 0,
  };
  return { topology: 'x', transport: 'kafka', at: new Date(p.at).toISOString(), stages: [stage], topics: [] };
}

const thresholds = { lagGrowingMs: 5_000, stalledMs: 4_000, rebalances: 3, rebalanceWindowMs: 60_000, deadLetterRate: 1 };

function run(points: Point[]): string[][] {
  const watcher = new AlertWatcher(thresholds);
  return points.map((p) => watcher.observe(snapshot(p)).map((a) => a.kind));
}

describe('AlertWatcher', () => {
  it('fires lag-growing once when lag has risen at every sample for longer than the threshold, and again only after it stopped', () => {
    const fired = run([
      { at: 0, lag: 0, committed: 0 },
      { at: 2_000, lag: 10, committed: 5 },
      { at: 4_000, lag: 20, committed: 10 },
      { at: 6_000, lag: 30, committed: 15 },
      { at: 8_000, lag: 40, committed: 20 },
      { at: 10_000, lag: 40, committed: 30 },
      { at: 12_000, lag: 50, committed: 40 },
    ]);
    expect(fired.map((f) => f.filter((k) => k === 'lag-growing').length)).toEqual([0, 0, 0, 1, 0, 0, 0]);
  });

  it('fires stalled when lag stays above zero and nothing is committed, not when the group is merely busy', () => {
    const stalled = run([
      { at: 0, lag: 5, committed: 100 },
      { at: 2_000, lag: 5, committed: 100 },
      { at: 5_000, lag: 5, committed: 100 },
      { at: 7_000, lag: 5, committed: 100 },
    ]);
    expect(stalled.map((f) => f.includes('stalled'))).toEqual([false, false, true, false]);
    const busy = run([
      { at: 0, lag: 5, committed: 100 },
      { at: 3_000, lag: 5, committed: 200 },
      { at: 6_000, lag: 5, committed: 300 },
    ]);
    expect(busy.flat()).not.toContain('stalled');
  });

  it('fires rebalancing after repeated member changes within the window', () => {
    const fired = run([
      { at: 0, lag: 0, committed: 0, members: ['a'] },
      { at: 1_000, lag: 0, committed: 0, members: ['a', 'b'] },
      { at: 2_000, lag: 0, committed: 0, members: ['b'] },
      { at: 3_000, lag: 0, committed: 0, members: ['b'], state: 'PreparingRebalance' },
    ]);
    expect(fired.map((f) => f.includes('rebalancing'))).toEqual([false, false, false, true]);
  });

  it('fires dead-letters when the dead-letter topic grows faster than the threshold', () => {
    const fired = run([
      { at: 0, lag: 0, committed: 0, dlq: 0 },
      { at: 2_000, lag: 0, committed: 0, dlq: 1 },
      { at: 4_000, lag: 0, committed: 0, dlq: 10 },
    ]);
    expect(fired.map((f) => f.includes('dead-letters'))).toEqual([false, false, true]);
  });
});
