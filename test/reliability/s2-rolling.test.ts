/**
 * Scenario 2: rolling SIGTERM restarts of every instance while records flow.
 * A clean shutdown drains, acknowledges and commits, so neither mode may lose
 * or duplicate anything, and every instance exits within 10 s.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers } from '../integration/harness/kafka.ts';
import { killAll } from './harness/instances.ts';
import type { Guarantee } from './harness/pipeline.ts';
import { recordResult, sized } from './harness/results.ts';
import { Scenario, type Node } from './harness/scenario.ts';

const TOTAL = sized(16_000, 200_000);
const RATE = sized(1_000, 2_000);
/** Time between one instance's restart and the next one's SIGTERM. */
const PAUSE_MS = 3_000;
const EXIT_LIMIT_MS = 10_000;

afterEach(killAll);

describe.each<Guarantee>(['at-least-once', 'exactly-once'])('scenario 2, %s: rolling SIGTERM restarts', (guarantee) => {
  it('loses and duplicates nothing; every instance exits within 10 s', async () => {
    const s = await Scenario.open({ brokers: brokers(), prefix: `s2-${guarantee === 'exactly-once' ? 'eos' : 'alo'}`, guarantee });
    try {
      const nodes: Node[] = ['first', 'second', 'first', 'second'];
      nodes.forEach((n) => s.start(n));
      let fed = false;
      const feeding = s.feeder.send(TOTAL, { batch: 500, perSecond: RATE }).then(() => (fed = true));
      expect(await s.watcher.reach(1, 60_000), 'no output within 60 s of the start').toBe(true);

      const exits: number[] = [];
      const codes: Array<number | null> = [];
      let restarts = 0;
      // Whole rounds over every instance, as long as records are still being fed (at least one round).
      while (restarts === 0 || !fed) {
        for (let slot = 0; slot < nodes.length; slot++) {
          await sleep(PAUSE_MS);
          const { ms, exit } = await s.instances[slot]!.stop();
          exits.push(ms);
          codes.push(exit.code);
          s.start(nodes[slot]!, slot);
          restarts++;
        }
      }
      await feeding;
      expect(await s.watcher.reach(TOTAL, sized(180_000, 600_000)), `output reached ${s.watcher.ids.size} of ${TOTAL}`).toBe(true);
      const v = await s.finish();
      const slowest = Math.max(...exits, ...v.exitMs);
      recordResult({
        scenario: '2 rolling SIGTERM restarts',
        mode: guarantee,
        records: TOTAL,
        faults: `${restarts} SIGTERM restarts`,
        report: v.report,
        recovery: `slowest exit ${(slowest / 1000).toFixed(1)} s`,
        notes: `markers read in ${v.markerMs} ms`,
      });

      expect(codes.every((c) => c === 0), `exit codes ${codes.join(', ')}`).toBe(true);
      expect(slowest).toBeLessThan(EXIT_LIMIT_MS);
      expect(v.report.lost, v.summary).toBe(0);
      expect(v.report.duplicates, v.summary).toBe(0);
      expect(v.report.orderViolations, v.summary).toEqual([]);
      expect(v.markerMs).toBeLessThan(60_000);
      expect(s.alarms().join("\n")).toBe("");
    } finally {
      await s.close();
    }
  });
});
