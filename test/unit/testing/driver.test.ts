import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { createTopologyTestDriver, type TopologyTestDriver } from '../../../src/testing/index.ts';

const topology = (name: string) => fileURLToPath(new URL(`../../../topologies/${name}/topology.yaml`, import.meta.url));
let driver: TopologyTestDriver | undefined;

afterEach(async () => {
  await driver?.close();
  driver = undefined;
});

describe('the topology test driver', () => {
  it('reads only what came since the last read, and dead letters by node', async () => {
    driver = await createTopologyTestDriver(topology('clickstream'));
    await driver.input('clicks.raw').send([
      { key: 'u-1', value: { user: 'u-1', url: 'https://shop.example/a', action: 'view', ts: 1704067200000 } },
      { key: 'u-2', value: { user: 'u-2', url: 'no url', action: 'view', ts: 1704067201000 } },
    ]);
    expect((await driver.output('clicks.valid').read()).map((r) => r.value)).toEqual([{ user: 'u-1', page: '/a', action: 'view', ts: 1704067200000 }]);
    expect(await driver.output('clicks.valid').read()).toEqual([]);
    const dead = await driver.deadLetters('validate');
    expect(dead.map((d) => [d.code, d.original.topic])).toEqual([['SLUICE_ERR_PROCESSOR', 'clicks.raw']]);
    expect(await driver.deadLetters('clicks.dlq')).toEqual([]);
  });

  it('closes a tumbling window once a later record moves stream time past it, and answers store queries', async () => {
    driver = await createTopologyTestDriver(topology('clickstream'));
    // Event time is the record's timestamp: the file source that sets it from `ts` does not run here.
    const click = (user: string, page: string, ts: number) => ({ key: user, timestamp: ts, value: { user, url: `https://shop.example${page}`, action: 'view', ts } });
    await driver.input('clicks.raw').send([click('u-1', '/a', 1704067200000), click('u-2', '/a', 1704067201000)]);
    expect(await driver.output('page.views').read()).toEqual([]);
    expect(driver.store('views-per-page').get('/a').results.map((r) => r.value)).toEqual([2]);
    await driver.input('clicks.raw').send(click('u-1', '/a', 1704067275000));
    expect((await driver.output('page.views').read()).map((r) => r.value)).toEqual([{ key: '/a', start: 1704067200000, end: 1704067260000, value: 2 }]);
  });

  it('keeps counting through a rebalance to three instances and back to one', async () => {
    driver = await createTopologyTestDriver(topology('word-count'));
    await driver.input('text.lines').send({ value: 'a b c a' });
    await driver.rebalance('count', 3);
    await driver.input('text.lines').send({ value: 'a b' });
    await driver.rebalance('count', 1);
    await driver.input('text.lines').send({ value: 'a' });
    const latest = new Map((await driver.output('word.counts').read()).map((r) => [r.key, (r.value as { value: number }).value]));
    expect(Object.fromEntries(latest)).toEqual({ a: 4, b: 2, c: 1 });
  });

  it('names what is not there', async () => {
    driver = await createTopologyTestDriver(topology('word-count'));
    expect(() => driver!.input('nope')).toThrow(/`nope` is not a topic of word-count: text.lines/);
    expect(() => driver!.deadLetters('nope')).toThrow(/neither a node/);
    expect(() => driver!.store('split')).toThrow(/keeps no store/);
    await expect(driver.crash('read')).rejects.toThrow(/not a node of word-count that reads topics/);
  });
});

describe('sinkLines', () => {
  it('reads what a stdout sink wrote, and names the sink nodes when given another', async () => {
    driver = await createTopologyTestDriver(topology('word-count'));
    await driver.input('text.lines').send({ value: 'a b a' });
    const counts = (await driver.sinkLines('print')) as Array<{ key: string; value: number }>;
    expect(Object.fromEntries(counts.map((c) => [c.key, c.value]))).toEqual({ a: 2, b: 1 });
    for (const name of ['count', 'nope']) {
      await expect(driver.sinkLines(name)).rejects.toThrowError(expect.objectContaining({ code: ErrorCodes.CLI_USAGE, message: `\`${name}\` is not a node of word-count with a file or stdout sink (print)` }));
    }
  });
});

describe('advanceTime', () => {
  it('closes windows by moving event time on without a record, and a window still open stays open', async () => {
    driver = await createTopologyTestDriver(topology('clickstream'));
    const click = (user: string, page: string, ts: number) => ({ key: user, timestamp: ts, value: { user, url: `https://shop.example${page}`, action: 'view', ts } });
    await driver.input('clicks.raw').send([click('u-1', '/a', 1704067200000), click('u-2', '/b', 1704067230000)]);
    // 00:00:30 + 35 s = 01:05: not past [00:00, 01:00) plus its 10 s grace.
    await driver.advanceTime('35s');
    expect(await driver.output('page.views').read()).toEqual([]);
    await driver.advanceTime(5_000);
    const closed = (await driver.output('page.views').read()).map((r) => r.value);
    expect(closed).toEqual(expect.arrayContaining([
      { key: '/a', start: 1704067200000, end: 1704067260000, value: 1 },
      { key: '/b', start: 1704067200000, end: 1704067260000, value: 1 },
    ]));
    expect(closed).toHaveLength(2);
    await expect(driver.advanceTime('soon')).rejects.toThrow(/milliseconds or a duration/);
  });
});
