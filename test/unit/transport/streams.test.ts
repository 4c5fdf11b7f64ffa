import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createSinkStream, SourceStream } from '../../../src/transport/index.ts';
import type { ConsumedRecord, Consumer, OutgoingRecord, Producer } from '../../../src/transport/types.ts';

const record = (partition: number, offset: number): ConsumedRecord => ({
  key: null,
  value: null,
  headers: {},
  timestamp: 0,
  topic: 't',
  partition,
  offset: String(offset),
});

function fakeConsumer(): Consumer & { drains: number } {
  const c = { drains: 0 } as Consumer & { drains: number };
  c.drained = () => void c.drains++;
  return c;
}

describe('SourceStream', () => {
  it('takes records up to its bound and asks for more only once drained to half', async () => {
    const consumer = fakeConsumer();
    const source = new SourceStream(consumer, { maxBuffered: 4 });
    expect(source.offer([record(0, 0), record(0, 1), record(0, 2)])).toBe(3);
    expect(source.offer([record(0, 3), record(0, 4), record(0, 5)])).toBe(1);
    expect(source.buffered).toBe(4);
    expect(consumer.drains).toBe(0);
    const got: ConsumedRecord[] = [];
    got.push(source.read() as ConsumedRecord);
    expect(consumer.drains).toBe(0);
    got.push(source.read() as ConsumedRecord);
    got.push(source.read() as ConsumedRecord);
    expect(consumer.drains).toBe(1);
    expect(got.map((r) => r.offset)).toEqual(['0', '1', '2']);
  });

  it('discards buffered records of given partitions and ends after the rest', async () => {
    const source = new SourceStream(fakeConsumer(), { maxBuffered: 100 });
    source.offer([record(0, 0), record(1, 0), record(0, 1), record(1, 1), record(2, 0)]);
    source.discard([{ topic: 't', partitions: [1] }]);
    source.end();
    const got = await source.toArray();
    expect(got.map((r: ConsumedRecord) => `${r.partition}@${r.offset}`)).toEqual(['0@0', '0@1', '2@0']);
    expect(source.offer([record(0, 2)])).toBe(0);
  });

  it("takes back a partition's waiting records, giving the first one's offset, and leaves the records already read", async () => {
    const source = new SourceStream(fakeConsumer(), { maxBuffered: 100 });
    source.offer([record(0, 3), record(1, 7), record(0, 4), record(1, 8)]);
    expect((source.read() as ConsumedRecord).offset).toBe('3');
    expect(source.takeBack('t', 0)).toBe('4');
    expect(source.takeBack('t', 0)).toBeUndefined();
    expect(source.takeBack('other', 1)).toBeUndefined();
    expect(source.buffered).toBe(2);
    source.end();
    const got = await source.toArray();
    expect(got.map((r: ConsumedRecord) => `${r.partition}@${r.offset}`)).toEqual(['1@7', '1@8']);
  });

  it('hands out the earliest timestamp across partitions, keeping offset order within each', async () => {
    const at = (partition: number, offset: number, timestamp: number) => ({ ...record(partition, offset), timestamp });
    const source = new SourceStream(fakeConsumer(), { maxBuffered: 100 });
    // A consumer fetched partition 0 far ahead of partition 1, in two offers of one delivery round.
    source.offer([at(0, 0, 10), at(0, 1, 40), at(0, 2, 50)]);
    source.offer([at(1, 0, 20), at(1, 1, 30), at(1, 2, 5)]);
    source.end();
    const got = (await source.toArray()) as ConsumedRecord[];
    expect(got.map((r) => `${r.partition}@${r.offset}`)).toEqual(['0@0', '1@0', '1@1', '1@2', '0@1', '0@2']);
  });
});

describe('SinkStream', () => {
  function fakeProducer(): Producer & { sent: OutgoingRecord[][]; release: () => void } {
    let release: () => void = () => {};
    const p = {
      sent: [] as OutgoingRecord[][],
      acknowledged: 0,
      release: () => release(),
      send: (records: readonly OutgoingRecord[]) => {
        p.sent.push([...records]);
        return new Promise<void>((resolve) => (release = resolve));
      },
      flush: async () => {},
      close: async () => {},
    };
    return p;
  }

  it('calls back only on acknowledgement, batches writes waiting meanwhile, and bounds them', async () => {
    const producer = fakeProducer();
    const sink = createSinkStream(producer, 'out', { maxInFlight: 3 });
    const acked: number[] = [];
    const write = (i: number) => sink.write({ key: null, value: String(i) }, () => acked.push(i));
    expect(write(0)).toBe(true);
    expect(write(1)).toBe(true);
    expect(write(2)).toBe(false); // three unacknowledged: stop
    await new Promise((r) => setImmediate(r));
    expect(acked).toEqual([]);
    expect(producer.sent.map((b) => b.map((r) => r.value))).toEqual([['0']]);
    producer.release();
    await new Promise((r) => setImmediate(r));
    expect(acked).toEqual([0]);
    expect(producer.sent[1]!.map((r) => [r.topic, r.value])).toEqual([['out', '1'], ['out', '2']]);
    producer.release();
    await new Promise((r) => setImmediate(r));
    expect(acked).toEqual([0, 1, 2]);
    expect(sink.acknowledged).toBe(3);
  });

  it('fails the pipeline when a send is refused', async () => {
    const producer: Producer = {
      acknowledged: 0,
      send: async () => {
        throw new Error('not acknowledged');
      },
      flush: async () => {},
      close: async () => {},
    };
    await expect(pipeline(Readable.from([{ key: null, value: 'x' }]), createSinkStream(producer, 'out'))).rejects.toThrow(
      'not acknowledged',
    );
  });
});
