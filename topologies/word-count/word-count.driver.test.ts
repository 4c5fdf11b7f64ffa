/**
 * The word count tested from code with sluice's test driver: records in by topic, what comes
 * out read back, the count store queried, and a crash of the counting stage in the middle.
 * It runs under `npm test` (vitest); see docs/testing.md.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTopologyTestDriver, type TopologyTestDriver } from 'sluice';

let driver: TopologyTestDriver;

beforeEach(async () => {
  driver = await createTopologyTestDriver(fileURLToPath(new URL('./topology.yaml', import.meta.url)));
});

afterEach(() => driver.close());

/** The latest count per word in what was read: the topic is a table of running counts. */
function latest(records: Array<{ key: string | null; value: unknown }>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) out[r.key!] = (r.value as { value: number }).value;
  return out;
}

it('counts words across sends, and the counts survive a crash of the counting stage', async () => {
  await driver.input('text.lines').send([{ value: 'the cat' }, { value: 'the dog' }]);
  expect(latest(await driver.output('word.counts').read())).toEqual({ the: 2, cat: 1, dog: 1 });

  await driver.crash('count');
  await driver.input('text.lines').send({ value: 'The end' });
  // Only what changed since the last read: the counts carried on from the store's changelog.
  expect(latest(await driver.output('word.counts').read())).toEqual({ the: 3, end: 1 });
  expect(driver.store('count').get('the').results[0]!.value).toBe(3);
});
