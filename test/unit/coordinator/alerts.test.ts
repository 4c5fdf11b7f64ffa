import { describe, expect, it } from 'vitest';
import { AlertWatcher, type StageStatus, type StatusSnapshot } from '../../../src/coordinator/index.ts';

interface Point {
  at: number;
  lag: number;
  committed: number;
  members?: string[];
  state?: StageStatus['groupState'];
  dlq?: number;
  windowed?: boolean;
  trigger?: string;
  /** Records this coordinator's instances have read (a running coordinator's local view). */
  read?: number;
}

function snapshot(p: Point): StatusSnapshot {
  const stage: StageStatus = {
    stage: 's',
    vertex: 'node-s',
    group: 'g',
    trigger: p.trigger ?? 'always',
    windowed: p.windowed ?? false,
    groupState: p.state ?? 'Stable',
    members: (p.members ?? ['m1']).map((memberId) => ({ memberId, clientId: 'c', host: 'h', assignment: [] })),
    partitions: [{ topic: 't', partition: 0, committed: String(p.committed), end: String(p.committed + p.lag), lag: p.lag }],
    lag: p.lag,
    inputRate: null,
    outputRate: null,
    deadLetterTopic: 't.dlq',
    deadLettered: p.dlq ?? 0,
    ...(p.read !== undefined ? { local: { state: 'running', instances: 1, running: 1, restarts: 0, crashes: 0, read: p.read, written: 0, deadLettered: 0, retried: 0, restores: [] } } : {}),
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

  it('does not call a window stage stalled while its inputs wait in open windows and nothing new arrives', () => {
    const fired = run([
      { at: 0, lag: 500, committed: 100, windowed: true },
      { at: 3_000, lag: 500, committed: 100, windowed: true },
      { at: 6_000, lag: 500, committed: 100, windowed: true },
      { at: 9_000, lag: 500, committed: 100, windowed: true },
    ]);
    expect(fired.flat()).not.toContain('stalled');
  });

  it('does not call a window stage stalled while its instances read the input that arrives', () => {
    const fired = run([
      { at: 0, lag: 500, committed: 100, windowed: true, read: 500 },
      { at: 3_000, lag: 600, committed: 100, windowed: true, read: 600 },
      { at: 6_000, lag: 700, committed: 100, windowed: true, read: 700 },
      { at: 9_000, lag: 800, committed: 100, windowed: true, read: 800 },
    ]);
    expect(fired.flat()).not.toContain('stalled');
  });

  it('calls a window stage stalled when input keeps arriving and its instances read none of it', () => {
    const fired = run([
      { at: 0, lag: 500, committed: 100, windowed: true, read: 500 },
      { at: 3_000, lag: 600, committed: 100, windowed: true, read: 500 },
      { at: 6_000, lag: 700, committed: 100, windowed: true, read: 500 },
      { at: 9_000, lag: 800, committed: 100, windowed: true, read: 500 },
    ]);
    expect(fired.map((f) => f.includes('stalled'))).toEqual([false, false, true, false]);
    // Another coordinator's window stage (no local view): growing lag with standing commits is all there is to go on.
    const remote = run([
      { at: 0, lag: 500, committed: 100, windowed: true },
      { at: 3_000, lag: 600, committed: 100, windowed: true },
      { at: 6_000, lag: 700, committed: 100, windowed: true },
    ]);
    expect(remote.flat()).toContain('stalled');
  });

  it('does not call a cron stage stalled between runs, when its group is empty and lag waits for the next run', () => {
    const waiting = run([
      { at: 0, lag: 50, committed: 100, members: [], state: 'Empty', trigger: 'cron */5 * * * *' },
      { at: 3_000, lag: 60, committed: 100, members: [], state: 'Empty', trigger: 'cron */5 * * * *' },
      { at: 6_000, lag: 70, committed: 100, members: [], state: 'Empty', trigger: 'cron */5 * * * *' },
    ]);
    expect(waiting.flat()).not.toContain('stalled');
    // An always-on stage with nobody left in its group is stalled.
    const abandoned = run([
      { at: 0, lag: 50, committed: 100, members: [], state: 'Empty' },
      { at: 3_000, lag: 50, committed: 100, members: [], state: 'Empty' },
      { at: 6_000, lag: 50, committed: 100, members: [], state: 'Empty' },
    ]);
    expect(abandoned.flat()).toContain('stalled');
  });

  it('does not count the group of a cron stage filling and emptying at each run as rebalances', () => {
    const cron = 'cron * * * * *';
    const oneRun = (at: number, n: number): Point[] => [
      { at, lag: 10, committed: 0, members: [], state: 'Empty', trigger: cron },
      { at: at + 1_000, lag: 10, committed: 0, members: [`a${n}`], state: 'PreparingRebalance', trigger: cron },
      { at: at + 2_000, lag: 10, committed: 0, members: [`a${n}`, `b${n}`], state: 'CompletingRebalance', trigger: cron },
      { at: at + 3_000, lag: 0, committed: 10, members: [`a${n}`, `b${n}`], state: 'Stable', trigger: cron },
      { at: at + 4_000, lag: 0, committed: 10, members: [`b${n}`], state: 'PreparingRebalance', trigger: cron },
      { at: at + 5_000, lag: 0, committed: 10, members: [], state: 'Empty', trigger: cron },
    ];
    const fired = run([...oneRun(0, 1), ...oneRun(10_000, 2), ...oneRun(20_000, 3), ...oneRun(30_000, 4)]);
    expect(fired.flat()).not.toContain('rebalancing');
  });

  it('still counts members replaced during a cron run, and every member change of an always-on stage', () => {
    const cron = 'cron * * * * *';
    const churn = run([
      { at: 0, lag: 10, committed: 0, members: ['a', 'b'], trigger: cron },
      { at: 1_000, lag: 10, committed: 0, members: ['a', 'c'], trigger: cron },
      { at: 2_000, lag: 10, committed: 0, members: ['a', 'd'], trigger: cron },
      { at: 3_000, lag: 10, committed: 0, members: ['a', 'e'], trigger: cron },
    ]);
    expect(churn.map((f) => f.includes('rebalancing'))).toEqual([false, false, false, true]);
    const always = run([
      { at: 0, lag: 0, committed: 0, members: [] },
      { at: 1_000, lag: 0, committed: 0, members: ['a'] },
      { at: 2_000, lag: 0, committed: 0, members: [] },
      { at: 3_000, lag: 0, committed: 0, members: ['b'] },
    ]);
    expect(always.map((f) => f.includes('rebalancing'))).toEqual([false, false, false, true]);
  });
});
