/**
 * Scenario 1: SIGKILL a stage instance every 5 s, in rotation over two
 * instances of each of the two stages, each replaced at once, while uniquely
 * numbered records flow over 3 partitions. At-least-once: nothing lost, and
 * duplicates no more than what was uncommitted at the kills. Exactly-once:
 * nothing lost, no duplicate, per-key order kept.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers } from '../integration/harness/kafka.ts';
import { killAll } from './harness/instances.ts';
import type { Guarantee } from './harness/pipeline.ts';
import { recordResult, sized } from './harness/results.ts';
import { Scenario, type Node } from './harness/scenario.ts';

const TOTAL = sized(20_000, 200_000);
const MAX_KILLS = sized(4, 40);
const KILL_EVERY_MS = 5_000;
/** Records/s fed while the kills go on: the short form flows ~20 s, the full one ~100 s. */
const RATE = sized(1_000, 2_000);
/** Records fed before the kills start, to see output flow. */
const FIRST = 500;

afterEach(killAll);

describe.each<Guarantee>(['at-least-once', 'exactly-once'])('scenario 1, %s: SIGKILL a stage instance every 5 s', (guarantee) => {
  it(`loses nothing over ${TOTAL} records${guarantee === 'exactly-once' ? ', duplicates nothing, keeps per-key order' : ''}`, async () => {
    const s = await Scenario.open({ brokers: brokers(), prefix: `s1-${guarantee === 'exactly-once' ? 'eos' : 'alo'}`, guarantee });
    try {
      const nodes: Node[] = ['first', 'second', 'first', 'second'];
      nodes.forEach((n) => s.start(n));
      // The bulk is fed once output flows (four instances can take half a minute to start on a
      // loaded machine), so the kills land mid-stream, not after it.
      await s.feeder.send(FIRST, { batch: FIRST });
      expect(await s.watcher.reach(1, 60_000), 'no output within 60 s of the start').toBe(true);
      let fed = false;
      const feeding = s.feeder.send(TOTAL - FIRST, { batch: 500, perSecond: RATE }).then(() => (fed = true));

      let kills = 0;
      let window = 0;
      while (!fed && kills < MAX_KILLS) {
        await sleep(KILL_EVERY_MS);
        const slot = kills % nodes.length;
        const victim = s.instances[slot]!;
        victim.signal('SIGKILL');
        await victim.exited;
        window += await s.uncommittedWindow(victim.node as Node);
        s.start(victim.node as Node, slot);
        kills++;
      }
      await feeding;
      expect(await s.watcher.reach(TOTAL, sized(180_000, 600_000)), `output reached ${s.watcher.ids.size} of ${TOTAL}`).toBe(true);
      const stall = s.watcher.longestStallMs;
      const v = await s.finish();
      recordResult({
        scenario: '1 SIGKILL every 5 s',
        mode: guarantee,
        records: TOTAL,
        faults: `${kills} SIGKILL`,
        report: v.report,
        recovery: `longest output stall ${(stall / 1000).toFixed(1)} s`,
        notes: `uncommitted window at kills ${window}; markers read in ${v.markerMs} ms`,
      });

      expect(kills, 'the records flowed past before any kill').toBeGreaterThan(0);
      expect(v.report.lost, v.summary).toBe(0);
      expect(v.markerMs).toBeLessThan(60_000);
      expect(s.alarms().join("\n")).toBe("");
      if (guarantee === 'exactly-once') {
        expect(v.report.duplicates, v.summary).toBe(0);
        expect(v.report.orderViolations, v.summary).toEqual([]);
      } else {
        expect(v.report.duplicates, v.summary).toBeLessThanOrEqual(window);
      }
    } finally {
      await s.close();
    }
  });
});
