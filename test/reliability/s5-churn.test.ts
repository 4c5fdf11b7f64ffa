/**
 * Scenario 5: rebalance churn. Every 3 s an instance of one of the stages is
 * added or removed (SIGTERM), between one and three per stage, while records
 * flow. Exactly-once output stays exact, and once the churn stops the
 * pipeline catches up (the first stage's lag is 0 and every record is in the
 * output) within 30 s.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers } from '../integration/harness/kafka.ts';
import type { Instance } from './harness/instances.ts';
import { killAll } from './harness/instances.ts';
import { lag, waitFor } from './harness/pipeline.ts';
import { recordResult, sized } from './harness/results.ts';
import { Scenario, type Node } from './harness/scenario.ts';

const CHURN_MS = sized(30_000, 120_000);
const EVERY_MS = 3_000;
const RATE = sized(800, 1_500);
const TOTAL = Math.round((RATE * CHURN_MS) / 1_000);
const CATCH_UP_MS = 30_000;

afterEach(killAll);

describe('scenario 5, exactly-once: rebalance churn', () => {
  it(`stays exact through ${CHURN_MS / 1000} s of an instance added or removed every 3 s, and catches up within 30 s`, async () => {
    const s = await Scenario.open({ brokers: brokers(), prefix: 's5-eos', guarantee: 'exactly-once' });
    try {
      const running: Record<Node, Instance[]> = { first: [s.start('first')], second: [s.start('second')] };
      const feeding = s.feeder.send(TOTAL, { batch: 200, perSecond: RATE });
      const stops: Array<Promise<{ ms: number; code: number | null }>> = [];
      let changes = 0;
      const end = Date.now() + CHURN_MS;
      // A fixed walk, so every run churns alike: grow both stages to three, shrink both to one, again.
      const plan: Array<[Node, 'add' | 'remove']> = [
        ['first', 'add'], ['second', 'add'], ['first', 'add'], ['second', 'add'],
        ['first', 'remove'], ['second', 'remove'], ['first', 'remove'], ['second', 'remove'],
      ];
      while (Date.now() < end) {
        await sleep(EVERY_MS);
        const [node, change] = plan[changes % plan.length]!;
        if (change === 'add') running[node].push(s.start(node));
        else {
          const leaving = running[node].shift()!;
          stops.push(leaving.stop().then(({ ms, exit }) => ({ ms, code: exit.code })));
        }
        changes++;
      }
      await feeding;
      const churnEnded = Date.now();
      const caughtUp = await waitFor(
        async () => s.watcher.ids.size >= TOTAL && (await lag(s.admin, s.group('first'), s.topic('in'))) === 0,
        CATCH_UP_MS,
        250,
      );
      const catchUpMs = Date.now() - churnEnded;
      const exits = await Promise.all(stops);
      const v = await s.finish();
      recordResult({
        scenario: '5 rebalance churn',
        mode: 'exactly-once',
        records: TOTAL,
        faults: `${changes} instance changes in ${CHURN_MS / 1000} s`,
        report: v.report,
        recovery: caughtUp ? `caught up ${(catchUpMs / 1000).toFixed(1)} s after the churn stopped` : `not caught up within ${CATCH_UP_MS / 1000} s`,
        notes: `slowest removal ${(Math.max(0, ...exits.map((e) => e.ms)) / 1000).toFixed(1)} s; markers read in ${v.markerMs} ms`,
      });

      expect(caughtUp, `caught up: output ${s.watcher.ids.size} of ${TOTAL}`).toBe(true);
      expect(exits.map((e) => e.code).every((c) => c === 0), `removal exit codes ${exits.map((e) => e.code).join(', ')}`).toBe(true);
      expect(v.report.lost, v.summary).toBe(0);
      expect(v.report.duplicates, v.summary).toBe(0);
      expect(v.report.orderViolations, v.summary).toEqual([]);
      expect(v.markerMs).toBeLessThan(60_000);
      expect(s.alarms().join('\n')).toBe('');
    } finally {
      await s.close();
    }
  });
});
