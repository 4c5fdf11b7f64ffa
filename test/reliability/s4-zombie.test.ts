/**
 * Scenario 4: a zombie. One `first` instance is SIGSTOPped past its session
 * timeout, so its partitions move to the other instance, then SIGCONTed with
 * transactions and commits still in hand. Those late writes must be fenced:
 * no duplicate in the output, and no group's committed offset ever goes
 * backwards (watched every 250 ms throughout). kafkajs has no KIP-447
 * generation fencing on transactional offset commits; the transactional
 * producer per input partition is what fences here, and this verifies it.
 * At-least-once, the zombie rejoins under a new member id and must treat its
 * old partitions as lost: commit nothing of them (kafkajs would accept such a
 * commit in the new generation) and re-read what it gets from the committed
 * offsets. Duplicates there are the uncommitted window, as for any crash.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers } from '../integration/harness/kafka.ts';
import { killAll } from './harness/instances.ts';
import { offsets, type Guarantee } from './harness/pipeline.ts';
import { recordResult, sized } from './harness/results.ts';
import { Scenario, type Node } from './harness/scenario.ts';

const TOTAL = sized(20_000, 100_000);
const RATE = sized(1_000, 2_000);
const SESSION_MS = 6_000;
/** Past the session timeout, with room for the rebalance that hands the zombie's partitions over. */
const STOPPED_MS = SESSION_MS * 2 + 3_000;
const MODES: Guarantee[] = ['exactly-once', 'at-least-once'];

afterEach(killAll);

/** Every committed offset of the two groups, sampled until `stop`; any that moved backwards. */
function watchOffsets(s: Scenario, stop: () => boolean): Promise<string[]> {
  const highest = new Map<string, bigint>();
  const backwards: string[] = [];
  return (async () => {
    while (!stop()) {
      for (const [node, topic] of [
        ['first', 'in'],
        ['second', 'mid'],
      ] as const) {
        try {
          for (const r of await offsets(s.admin, s.group(node), s.topic(topic))) {
            if (r.committed < 0n) continue;
            const id = `${node}[${r.partition}]`;
            const top = highest.get(id) ?? -1n;
            if (r.committed < top) backwards.push(`${id}: ${top} → ${r.committed}`);
            else highest.set(id, r.committed);
          }
        } catch {
          // unstable (a transaction is completing) or the coordinator is moving: sample again
        }
      }
      await sleep(250);
    }
    return backwards;
  })();
}

describe.each(MODES)('scenario 4, %s: a zombie instance', (guarantee) => {
  it('is fenced after SIGSTOP past its session timeout and SIGCONT: no offset backwards (and, exactly-once, no duplicate)', async () => {
    const s = await Scenario.open({ brokers: brokers(), prefix: `s4-${guarantee === 'exactly-once' ? 'eos' : 'alo'}`, guarantee, sessionTimeoutMs: SESSION_MS });
    let done = false;
    try {
      (['first', 'first', 'second'] as Node[]).forEach((n) => s.start(n));
      // The zombie-to-be must own partitions before it stops, or it is no zombie.
      await s.stableMembers('first', 2);
      const feeding = s.feeder.send(TOTAL, { batch: 500, perSecond: RATE });
      expect(await s.watcher.reach(Math.floor(TOTAL / 5), 120_000), 'output did not start').toBe(true);
      const sampling = watchOffsets(s, () => done);

      const zombie = s.instances[0]!;
      zombie.signal('SIGSTOP');
      await sleep(STOPPED_MS);
      const membersWhileStopped = (await s.admin.describeGroups([s.group('first')])).groups[0]?.members.length ?? 0;
      zombie.signal('SIGCONT');
      await feeding;
      expect(await s.watcher.reach(TOTAL, sized(180_000, 600_000)), `output reached ${s.watcher.ids.size} of ${TOTAL}`).toBe(true);
      // The zombie has had time to try its late transactions and commits.
      await sleep(3_000);
      done = true;
      const backwards = await sampling;
      const fenced = /FENCED|fenced/.test(zombie.log);
      // Back in the group under a new member id, it must drop its old partitions' work, not commit it.
      const lostOnReturn = /partitions lost/.test(zombie.log);
      const v = await s.finish();
      recordResult({
        scenario: '4 zombie (SIGSTOP past session timeout, SIGCONT)',
        mode: guarantee,
        records: TOTAL,
        faults: `1 SIGSTOP ${STOPPED_MS / 1000} s + SIGCONT`,
        report: v.report,
        recovery: `members while stopped: ${membersWhileStopped}`,
        notes: `offsets backwards: ${backwards.length}; zombie log mentions fencing: ${fenced}, partitions lost: ${lostOnReturn}; markers read in ${v.markerMs} ms`,
      });

      expect(membersWhileStopped, 'the stopped instance should have left the group').toBe(1);
      expect(backwards).toEqual([]);
      expect(lostOnReturn, 'the zombie should have dropped the partitions it lost').toBe(true);
      expect(v.report.lost, v.summary).toBe(0);
      expect(v.markerMs).toBeLessThan(60_000);
      expect(s.alarms().join('\n')).toBe('');
      if (guarantee === 'exactly-once') {
        expect(v.report.duplicates, v.summary).toBe(0);
        expect(v.report.orderViolations, v.summary).toEqual([]);
      }
    } finally {
      done = true;
      await s.close();
    }
  });
});
