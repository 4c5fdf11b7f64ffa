/**
 * Scenario 7: one record takes longer than the session timeout to process.
 * Heartbeats must go on meanwhile: the group keeps its members (no rebalance,
 * let alone a storm) and the slow record, like every other, is output once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { brokers } from '../integration/harness/kafka.ts';
import { killAll } from './harness/instances.ts';
import type { Guarantee } from './harness/pipeline.ts';
import { FULL, recordResult, sized } from './harness/results.ts';
import { Scenario, type Node } from './harness/scenario.ts';

const TOTAL = sized(5_000, 50_000);
const SESSION_MS = 6_000;
const SLOW_ID = 1_234;
const SLOW_MS = SESSION_MS * 2;
const MODES: Guarantee[] = FULL ? ['at-least-once', 'exactly-once'] : ['at-least-once'];

const PROCESSOR = `import { defineProcessor } from 'sluice';
import { setTimeout as sleep } from 'node:timers/promises';
export default defineProcessor<{ id: number; seq: number; hops: number }>(async (v) => {
  if (v.id === ${SLOW_ID}) await sleep(${SLOW_MS});
  return { ...v, hops: 1 };
});`;

afterEach(killAll);

describe.each(MODES)('scenario 7, %s: a handler slower than the session timeout', (guarantee) => {
  it(`keeps the group stable through a ${SLOW_MS / 1000} s record and outputs it once`, async () => {
    const s = await Scenario.open({ brokers: brokers(), prefix: `s7-${guarantee === 'exactly-once' ? 'eos' : 'alo'}`, guarantee, processor: PROCESSOR, sessionTimeoutMs: SESSION_MS });
    try {
      (['first', 'first', 'second'] as Node[]).forEach((n) => s.start(n));
      // Both instances of `first` in the group, and its first rebalance over, before the slow record arrives.
      const members = await s.stableMembers('first', 2);
      await s.feeder.send(TOTAL);

      // Sample the group while the slow record holds its partition.
      const seen = new Set<string>();
      const states = new Set<string>();
      const until = Date.now() + SLOW_MS + SESSION_MS;
      while (Date.now() < until) {
        const g = (await s.admin.describeGroups([s.group('first')])).groups[0]!;
        states.add(g.state);
        seen.add(g.members.map((m) => m.memberId).sort().join(','));
        await sleep(500);
      }
      expect(await s.watcher.reach(TOTAL, 120_000), `output reached ${s.watcher.ids.size} of ${TOTAL}`).toBe(true);
      const v = await s.finish();
      const slow = v.report.maxCopies;
      recordResult({
        scenario: '7 slow handler (12 s > 6 s session)',
        mode: guarantee,
        records: TOTAL,
        faults: `1 record held ${SLOW_MS / 1000} s`,
        report: v.report,
        recovery: `group states seen: ${[...states].join(', ')}; member sets: ${seen.size}`,
        notes: `markers read in ${v.markerMs} ms`,
      });

      expect([...seen]).toEqual([members.join(',')]);
      expect([...states]).toEqual(['Stable']);
      expect(v.report.lost, v.summary).toBe(0);
      expect(v.report.duplicates, v.summary).toBe(0);
      expect(slow).toBe(1);
      expect(s.alarms().join('\n')).toBe('');
    } finally {
      await s.close();
    }
  });
});
