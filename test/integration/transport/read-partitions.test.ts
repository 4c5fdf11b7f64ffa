/**
 * Transport.readPartitions, the restore path of state stores, on every
 * transport and Kafka driver: ranges read exactly, transaction markers and aborted
 * transactions passed over, out-of-range starts reported, not read, partitions
 * bigger than one fetch read to their end.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { createTransport, type ConsumedRecord, type Transport } from '../../../src/transport/index.ts';
import { brokers, kafka, uniqueName } from '../harness/kafka.ts';
import { eventually } from './contract.ts';

const transports: Array<[string, () => Transport]> = [
  ['embedded', () => createTransport({ clientId: 'read', logger: silentLogger })],
  ['kafkajs', () => createTransport({ brokers: brokers(), clientId: 'sluice-read', logger: silentLogger, client: 'kafkajs' })],
  ['platformatic', () => createTransport({ brokers: brokers(), clientId: 'sluice-read', logger: silentLogger, client: 'platformatic' })],
];

describe.each(transports)('readPartitions on the %s transport', (_kind, make) => {
  it('reads each partition from its start to its end as of the call, in order, past transaction markers', async () => {
    const transport = make();
    const topic = uniqueName('read');
    try {
      await transport.createTopics([{ name: topic, partitions: 3 }]);
      const producer = await transport.transactionalProducer(uniqueName('read-txn'));
      // Partition 0 and 1 get 10 transactions of 50 records each (a marker after each on Kafka); 2 stays empty.
      for (let t = 0; t < 10; t++) {
        const records = [0, 1].flatMap((partition) =>
          Array.from({ length: 50 }, (_, i) => ({ topic, partition, key: `k${t * 50 + i}`, value: `p${partition}-${t * 50 + i}` })),
        );
        await producer.transact(records, []);
      }
      await producer.close();
      // A commit returns before the coordinator has written its markers: until the last one lands, the end a
      // read_committed read stops at is before the last transaction.
      const markers = 10;
      await eventually(async () => (await transport.endOffsets(topic)).filter((e) => e.offset === String(500 + markers)).length === 2, 'the last transaction is stable');
      const seen = new Map<number, ConsumedRecord[]>();
      const midway = '255'; // record 250 of partition 1, after 5 transactions' markers
      const ends = await transport.readPartitions(
        topic,
        [
          { partition: 0, from: null },
          { partition: 1, from: midway },
          { partition: 2, from: null },
        ],
        async (records) => {
          for (const r of records) seen.set(r.partition, [...(seen.get(r.partition) ?? []), r]);
        },
      );
      expect(seen.get(0)!.map((r) => r.value!.toString())).toEqual(Array.from({ length: 500 }, (_, i) => `p0-${i}`));
      expect(seen.get(1)!.map((r) => r.value!.toString())).toEqual(Array.from({ length: 250 }, (_, i) => `p1-${250 + i}`));
      expect(seen.has(2)).toBe(false);
      expect(ends).toEqual([
        { partition: 0, end: String(500 + markers), outOfRange: false },
        { partition: 1, end: String(500 + markers), outOfRange: false },
        { partition: 2, end: '0', outOfRange: false },
      ]);
      // A start past the end (a checkpoint of a changelog that was recreated) is reported, and nothing is read.
      const past = await transport.readPartitions(topic, [{ partition: 2, from: '7' }], async () => {
        throw new Error('nothing to read');
      });
      expect(past).toEqual([{ partition: 2, end: '0', outOfRange: true }]);
    } finally {
      await transport.close();
    }
  });

  // A changelog bigger than one fetch (1 MiB a partition): kafkajs fetches again from the last offset
  // resolved, so a reader that did not resolve any got its first fetch back for ever.
  it('reads a partition that takes several fetches', { timeout: 60_000 }, async () => {
    const transport = make();
    const topic = uniqueName('read-big');
    try {
      await transport.createTopics([{ name: topic, partitions: 1 }]);
      const producer = await transport.producer();
      const total = 4_000;
      // Random 1 KiB values: about 4 MiB on the broker, whatever the compression.
      for (let i = 0; i < total; i += 500) {
        await producer.send(Array.from({ length: 500 }, (_, j) => ({ topic, partition: 0, key: `k${i + j}`, value: randomBytes(1024) })));
      }
      await producer.close();
      const offsets: string[] = [];
      let calls = 0;
      const [end] = await transport.readPartitions(topic, [{ partition: 0, from: null }], async (records) => {
        calls++;
        for (const r of records) offsets.push(r.offset);
      });
      expect(offsets).toEqual(Array.from({ length: total }, (_, i) => String(i)));
      expect(end).toEqual({ partition: 0, end: String(total), outOfRange: false });
      if (_kind !== 'embedded') expect(calls).toBeGreaterThan(1);
    } finally {
      await transport.close();
    }
  });
});

/** One record per transaction, committed or aborted as listed, by a plain kafkajs producer. */
async function transactions(topic: string, values: ReadonlyArray<readonly [string, boolean]>): Promise<void> {
  const raw = kafka().producer({ transactionalId: uniqueName('aborter'), idempotent: true, maxInFlightRequests: 1 });
  await raw.connect();
  for (const [value, commit] of values) {
    const txn = await raw.transaction();
    await txn.send({ topic, messages: [{ value }] });
    if (commit) await txn.commit();
    else await txn.abort();
  }
  await raw.disconnect();
}

describe.each(transports.slice(1))('readPartitions on Kafka with %s', (_client, make) => {
  it('skips the records of an aborted transaction', async () => {
    const transport = make();
    const topic = uniqueName('read-abort');
    try {
      await transport.createTopics([{ name: topic, partitions: 1 }]);
      await transactions(topic, [['a', true], ['b', false], ['c', true]]);
      // The coordinator writes a commit's markers after it has answered: wait for the last one, or the end taken is before it.
      await eventually(async () => (await transport.endOffsets(topic))[0]?.offset === '6', 'the last commit marker is written');
      const values: string[] = [];
      const [end] = await transport.readPartitions(topic, [{ partition: 0, from: null }], async (records) => {
        for (const r of records) values.push(r.value!.toString());
      });
      expect(values).toEqual(['a', 'c']);
      expect(end).toEqual({ partition: 0, end: '6', outOfRange: false });
    } finally {
      await transport.close();
    }
  });

  // A changelog whose last transaction was aborted (its producer SIGKILLed, then fenced by the next owner):
  // the last fetch holds nothing a reader is handed, and kafkajs calls no handler for it.
  it('ends a partition whose last transaction was aborted', async () => {
    const transport = make();
    const topic = uniqueName('read-abort-last');
    try {
      await transport.createTopics([{ name: topic, partitions: 1 }]);
      await transactions(topic, [['a', true], ['b', false]]);
      await eventually(async () => (await transport.endOffsets(topic))[0]?.offset === '4', 'the abort marker is written');
      const values: string[] = [];
      const reading = transport.readPartitions(topic, [{ partition: 0, from: '2' }], async (records) => {
        for (const r of records) values.push(r.value!.toString());
      });
      const [end] = await Promise.race([reading, sleep(15_000).then(() => [{ partition: 0, end: 'none: still reading after 15 s', outOfRange: false }])]);
      expect(end).toEqual({ partition: 0, end: '4', outOfRange: false });
      expect(values).toEqual([]);
    } finally {
      await transport.close();
    }
  });
});
