/**
 * Scenario 6: poison records among good ones. Records the processor throws on
 * (every time it sees them) and records that are not Avro at all each go to
 * the dead-letter topic once, as they were read, with provenance headers; the
 * partitions they sat in keep moving (every good record after them arrives);
 * no stage instance restarts for them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { brokers } from '../integration/harness/kafka.ts';
import { killAll } from './harness/instances.ts';
import { readDeadLetters, type Guarantee } from './harness/pipeline.ts';
import { recordResult, sized } from './harness/results.ts';
import { Scenario, type Node } from './harness/scenario.ts';

const TOTAL = sized(10_000, 100_000);
/** Every 997th id the processor throws on; every 1,999th is not Avro at all. */
const THROWS = (id: number) => id % 997 === 500;
const GARBAGE = (id: number) => id % 1_999 === 1_000;

const PROCESSOR = `import { defineProcessor } from 'sluice';
export default defineProcessor<{ id: number; seq: number; hops: number }>((v) => {
  if (v.id % 997 === 500) throw new Error('poison: id ' + v.id);
  return { ...v, hops: 1 };
});`;

afterEach(killAll);

describe.each<Guarantee>(['at-least-once', 'exactly-once'])('scenario 6, %s: poison records', (guarantee) => {
  it('dead-letters each poison record once with provenance, and its partition keeps moving', async () => {
    const s = await Scenario.open({ brokers: brokers(), prefix: `s6-${guarantee === 'exactly-once' ? 'eos' : 'alo'}`, guarantee, processor: PROCESSOR });
    try {
      (['first', 'second'] as Node[]).forEach((n) => s.start(n));
      await s.feeder.send(TOTAL, { poison: (id) => (GARBAGE(id) ? Buffer.from(`not avro ${id}\u0000\u00ff`) : undefined) });
      const poisoned = s.feeder.sent.filter((r) => THROWS(r.id) || GARBAGE(r.id));
      const good = TOTAL - poisoned.length;
      expect(await s.watcher.reach(good, sized(120_000, 600_000)), `output reached ${s.watcher.ids.size} of ${good}`).toBe(true);
      const dead = await readDeadLetters(s.kafka, s.topic('in.dlq'), poisoned.length);
      const locals = await Promise.all(s.instances.map((i) => i.local()));
      const restarts = locals.reduce((n, l) => n + (l?.restarts ?? 0), 0);

      // The checker judges the good records; the poison ones must be in the dead-letter topic instead.
      const poisonIds = new Set(poisoned.map((r) => r.id));
      const sent = s.feeder.sent.splice(0);
      s.feeder.sent.push(...sent.filter((r) => !poisonIds.has(r.id)));
      const v = await s.finish();
      recordResult({
        scenario: '6 poison records',
        mode: guarantee,
        records: TOTAL,
        faults: `${poisoned.length} poison (${poisoned.filter((r) => THROWS(r.id)).length} throw, ${poisoned.filter((r) => GARBAGE(r.id)).length} not Avro)`,
        report: v.report,
        recovery: `stage restarts ${restarts}`,
        notes: `dead letters ${dead.length}; markers read in ${v.markerMs} ms`,
      });

      expect(dead.map((d) => d.key).sort()).toEqual(poisoned.map((r) => r.key).sort());
      for (const d of dead) {
        const code = d.headers['sluice.dlq.error.code'];
        expect(d.headers).toMatchObject({ 'sluice.dlq.stage': 'first', 'sluice.dlq.original.topic': s.topic('in') });
        expect(Number(d.headers['sluice.dlq.original.partition'])).toBeGreaterThanOrEqual(0);
        expect(Number(d.headers['sluice.dlq.original.offset'])).toBeGreaterThanOrEqual(0);
        expect(['SLUICE_ERR_PROCESSOR', 'SLUICE_ERR_DESERIALIZE']).toContain(code);
        if (code === 'SLUICE_ERR_DESERIALIZE') expect(d.value!.toString('latin1')).toMatch(/^not avro \d+/);
        else expect(d.headers['sluice.dlq.error.message']).toMatch(/poison: id \d+/);
      }
      expect(restarts).toBe(0);
      expect(v.report.lost, v.summary).toBe(0);
      expect(v.report.unacknowledged, 'a poison record reached the output').toBe(0);
      if (guarantee === 'exactly-once') expect(v.report.duplicates, v.summary).toBe(0);
      expect(s.alarms().join('\n')).toBe('');
    } finally {
      await s.close();
    }
  });
});
