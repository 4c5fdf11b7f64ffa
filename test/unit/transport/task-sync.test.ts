import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { SourceStream } from '../../../src/transport/index.ts';
import type { ConsumedRecord, Consumer, PartitionOffset } from '../../../src/transport/types.ts';

const at = (topic: string, partition: number, offset: number, timestamp: number): ConsumedRecord => ({
  key: null,
  value: null,
  headers: {},
  timestamp,
  topic,
  partition,
  offset: String(offset),
});

/** A consumer that owns partitions 0 and 1 of `s` and `t`, with broker ends and positions the test sets. */
function fakeConsumer() {
  const ends = new Map<string, number>();
  const positions = new Map<string, number>();
  const asked: string[] = [];
  const unknown = new Set<string>();
  let answer: (() => void) | undefined;
  let deferAnswers = false;
  const consumer = {
    drains: 0,
    drained: () => void consumer.drains++,
    owns: (topic: string, partition: number) => ['s', 't'].includes(topic) && partition < 2,
    position: (topic: string, partition: number) =>
      unknown.has(`${topic}/${partition}`) ? undefined : { lastDelivered: null, next: String(positions.get(`${topic}/${partition}`) ?? 0) },
    endOffsets: (topic: string): Promise<PartitionOffset[]> => {
      asked.push(topic);
      const result = [0, 1].map((partition) => ({ partition, offset: String(ends.get(`${topic}/${partition}`) ?? 0) }));
      if (!deferAnswers) return Promise.resolve(result);
      return new Promise((resolve) => (answer = () => resolve(result)));
    },
  } as unknown as Consumer & { drains: number };
  return {
    consumer,
    asked,
    end: (topic: string, partition: number, offset: number) => ends.set(`${topic}/${partition}`, offset),
    at: (topic: string, partition: number, offset: number) => positions.set(`${topic}/${partition}`, offset),
    defer: () => (deferAnswers = true),
    unknownPosition: (topic: string, partition: number) => unknown.add(`${topic}/${partition}`),
    answer: () => answer?.(),
  };
}

/** Reads what the stream gives within `ms`, without ending it. */
async function readFor(source: SourceStream, ms: number): Promise<string[]> {
  const got: string[] = [];
  const onData = (r: ConsumedRecord) => got.push(`${r.topic}${r.partition}@${r.offset}`);
  source.on('data', onData);
  await sleep(ms);
  source.off('data', onData);
  source.pause();
  return got;
}

describe('SourceStream sync (co-partitioned topics, as a Kafka Streams task)', () => {
  it('holds a record while its partner partition has records on the broker not fetched yet, and lets other tasks go', async () => {
    const fake = fakeConsumer();
    fake.end('t', 0, 3); // t/0 has 3 records on the broker, none fetched.
    const source = new SourceStream(fake.consumer, { sync: { topics: ['s', 't'], maxIdleMs: 0 } });
    source.offer([at('s', 0, 0, 50), at('s', 0, 1, 60)]);
    source.offer([at('s', 1, 0, 100), at('t', 1, 0, 10)]);
    expect(await readFor(source, 30)).toEqual(['t1@0', 's1@0']);
    expect(fake.asked).toContain('t');
    expect(source.buffered).toBe(2);
    // t/0 comes: task 0 goes on, in timestamp order across both topics.
    fake.at('t', 0, 3);
    source.offer([at('t', 0, 0, 40), at('t', 0, 1, 55), at('t', 0, 2, 70)]);
    source.end();
    expect(((await source.toArray()) as ConsumedRecord[]).map((r) => `${r.topic}${r.partition}@${r.offset}`)).toEqual(['t0@0', 's0@0', 't0@1', 's0@1', 't0@2']);
  });

  it('holds while the end offsets are asked, and goes once the answer says the partner is caught up (max idle 0)', async () => {
    const fake = fakeConsumer();
    fake.defer();
    const source = new SourceStream(fake.consumer, { sync: { topics: ['s', 't'], maxIdleMs: 0 } });
    source.offer([at('s', 0, 0, 50)]);
    expect(await readFor(source, 20)).toEqual([]);
    fake.answer();
    source.resume();
    expect(await readFor(source, 20)).toEqual(['s0@0']);
    expect(fake.asked.filter((t) => t === 't')).toHaveLength(1);
  });

  it('waits max idle for a caught-up partner, and takes its records if they come in time', async () => {
    const fake = fakeConsumer();
    const source = new SourceStream(fake.consumer, { sync: { topics: ['s', 't'], maxIdleMs: 200 } });
    source.offer([at('s', 0, 0, 50), at('s', 0, 1, 90)]);
    expect(await readFor(source, 60)).toEqual([]);
    source.offer([at('t', 0, 0, 70)]);
    source.resume();
    // s0@1 waits again for t/0, now empty: until its deadline.
    expect(await readFor(source, 60)).toEqual(['s0@0', 't0@0']);
    source.resume();
    expect(await readFor(source, 250)).toEqual(['s0@1']);
  });

  it('stops waiting for a caught-up partner once told its writers are done, but still waits for records known on the broker', async () => {
    const fake = fakeConsumer();
    fake.end('t', 1, 2); // t/1 has 2 records not fetched; t/0 is caught up.
    const source = new SourceStream(fake.consumer, { sync: { topics: ['s', 't'], maxIdleMs: 60_000 } });
    source.offer([at('s', 0, 0, 50), at('s', 1, 0, 60)]);
    expect(await readFor(source, 40)).toEqual([]);
    source.releaseCaughtUp();
    source.resume();
    expect(await readFor(source, 40)).toEqual(['s0@0']);
    // Once t/0 receives a record and is empty again, a new wait starts: nothing is released for good.
    source.offer([at('t', 0, 0, 70), at('s', 0, 1, 80)]);
    source.resume();
    expect(await readFor(source, 40)).toEqual(['t0@0']);
    source.destroy();
  });

  it('lets a waiting task go when the stream is full of its records, so the bound holds and reading goes on', async () => {
    const fake = fakeConsumer();
    fake.end('t', 0, 5);
    const source = new SourceStream(fake.consumer, { maxBuffered: 4, sync: { topics: ['s', 't'], maxIdleMs: 60_000 } });
    expect(source.offer([at('s', 0, 0, 1), at('s', 0, 1, 2), at('s', 0, 2, 3), at('s', 0, 3, 4), at('s', 0, 4, 5)])).toBe(4);
    expect(source.buffered).toBe(4);
    const got = await readFor(source, 30);
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got[0]).toBe('s0@0');
    expect(fake.consumer.drains).toBe(1);
    source.end();
  });

  it('ends with parked records handed out, and discards parked ones of a revoked partition', async () => {
    const fake = fakeConsumer();
    fake.end('t', 0, 9);
    fake.end('t', 1, 9);
    const source = new SourceStream(fake.consumer, { sync: { topics: ['s', 't'], maxIdleMs: 60_000 } });
    source.offer([at('s', 0, 0, 1), at('s', 1, 0, 2), at('s', 1, 1, 3)]);
    expect(await readFor(source, 20)).toEqual([]);
    source.discard([{ topic: 's', partitions: [1] }]);
    expect(source.buffered).toBe(1);
    source.end();
    source.resume();
    expect(((await source.toArray()) as ConsumedRecord[]).map((r) => `${r.topic}${r.partition}@${r.offset}`)).toEqual(['s0@0']);
  });

  it('stops waiting after 5 s for a partner whose position the consumer cannot say (every record deleted, nothing fetched)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const fake = fakeConsumer();
      fake.end('t', 0, 8);
      fake.unknownPosition('t', 0);
      const source = new SourceStream(fake.consumer, { sync: { topics: ['s', 't'], maxIdleMs: 0 } });
      const got: string[] = [];
      source.on('data', (r: ConsumedRecord) => got.push(`${r.topic}${r.partition}@${r.offset}`));
      source.offer([at('s', 0, 0, 50)]);
      for (let ms = 0; ms < 4_900; ms += 100) {
        await vi.advanceTimersByTimeAsync(100);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(got).toEqual([]);
      for (let ms = 0; ms < 300; ms += 50) {
        await vi.advanceTimersByTimeAsync(50);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(got).toEqual(['s0@0']);
      source.destroy();
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not wait for a partner partition this consumer does not own', async () => {
    const fake = fakeConsumer();
    const source = new SourceStream(fake.consumer, { sync: { topics: ['s', 'u'], maxIdleMs: 60_000 } });
    source.offer([at('s', 0, 0, 1)]);
    expect(await readFor(source, 20)).toEqual(['s0@0']);
    expect(fake.asked).toEqual([]);
  });
});
