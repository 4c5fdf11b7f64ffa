/**
 * Scenario 3: the broker is SIGKILLed and restarted on the same port and log
 * dir while the pipeline runs (a broker of this test's own). The stage
 * processes ride it out by themselves: nothing lost, no unhandled rejection,
 * no process gone; the time from the broker answering again to the output
 * growing again is reported.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OwnBroker } from './harness/broker.ts';
import { killAll } from './harness/instances.ts';
import { waitFor, type Guarantee } from './harness/pipeline.ts';
import { FULL, recordResult, sized } from './harness/results.ts';
import { Scenario, type Node } from './harness/scenario.ts';

const TOTAL = sized(12_000, 200_000);
const CYCLES = sized(1, 3);
const DOWN_MS = 3_000;
const MODES: Guarantee[] = FULL ? ['at-least-once', 'exactly-once'] : ['exactly-once'];

/** ~2 ms a record, so each chunk takes seconds and a fault always finds work left. */
const PACED = `import { defineProcessor } from 'sluice';
import { setTimeout as sleep } from 'node:timers/promises';
export default defineProcessor<{ id: number; seq: number; hops: number }>(async (v) => {
  await sleep(2);
  return { ...v, hops: 1 };
});`;

const broker = new OwnBroker();
beforeAll(() => broker.start(), 300_000);
afterAll(() => broker.stop(), 120_000);
afterEach(killAll);

describe.each(MODES)('scenario 3, %s: broker SIGKILLed and restarted', (guarantee) => {
  it(`recovers by itself ${CYCLES} time(s) and loses nothing`, async () => {
    const s = await Scenario.open({ brokers: broker.brokers, prefix: `s3-${guarantee === 'exactly-once' ? 'eos' : 'alo'}`, guarantee, processor: PACED });
    try {
      (['first', 'second', 'first', 'second'] as Node[]).forEach((n) => s.start(n));
      const recoveries: number[] = [];
      const restarts: number[] = [];
      // Input comes in chunks while the broker is up (so every send is acknowledged once, unambiguously),
      // and each fault lands when a third of its chunk is through: work is left for after the restart.
      const chunk = Math.ceil(TOTAL / (CYCLES + 1));
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        await s.feeder.send(chunk);
        const through = s.feeder.sent.length - Math.floor((chunk * 2) / 3);
        // Judged by the broker's count (fresh client), not the watcher, whose own client may still be backing off.
        expect(await waitFor(async () => (await s.written()) >= through, 240_000, 250), `output stuck below ${through}`).toBe(true);
        // Nothing can be written while the broker is down: what is there now is the baseline.
        const before = await s.written();
        await broker.kill();
        await sleep(DOWN_MS);
        restarts.push(await broker.restart());
        const back = Date.now();
        // A fresh watcher: the old one's client may still be backing off from the outage.
        await s.restartWatcher();
        const resumed = await s.outputGrew(before, back, 180_000);
        expect(resumed, `output did not grow within 180 s of the broker's return (at ${s.watcher.ids.size})`).toBeDefined();
        recoveries.push(resumed!);
        console.log(`[s3] cycle ${cycle}: broker back after ${(restarts.at(-1)! / 1000).toFixed(1)} s, output grew ${(resumed! / 1000).toFixed(1)} s later`);
      }
      await s.feeder.send(TOTAL - s.feeder.sent.length);
      expect(await s.watcher.reach(TOTAL, 300_000), `output reached ${s.watcher.ids.size} of ${TOTAL}`).toBe(true);
      const exited = s.all.filter((i) => !i.running).map((i) => `${i.node} pid ${i.pid} ended: ${i.log.slice(-3_000)}`);
      const locals = await Promise.all(s.instances.map((i) => i.local().catch(() => undefined)));
      const workerRestarts = locals.reduce((n, l) => n + (l?.restarts ?? 0), 0);
      const v = await s.finish();
      recordResult({
        scenario: '3 broker SIGKILL + restart',
        mode: guarantee,
        records: TOTAL,
        faults: `${CYCLES} broker kill/restart`,
        report: v.report,
        recovery: `output resumed ${recoveries.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s after the broker was back (restart took ${restarts.map((ms) => (ms / 1000).toFixed(0)).join(', ')} s)`,
        notes: `stage workers restarted by their coordinators: ${workerRestarts}; markers read in ${v.markerMs} ms`,
      });

      expect(exited.join('\n'), 'stage processes that ended during the faults').toBe('');
      expect(v.report.lost, v.summary).toBe(0);
      expect(v.markerMs).toBeLessThan(60_000);
      expect(s.alarms().join("\n")).toBe("");
      if (guarantee === 'exactly-once') expect(v.report.duplicates, v.summary).toBe(0);
    } finally {
      await s.close();
    }
  });
});
