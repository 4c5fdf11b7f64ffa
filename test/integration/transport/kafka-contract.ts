/**
 * What every Kafka driver (kafka.test.ts: kafkajs, platformatic.test.ts:
 * @platformatic/kafka) must also do against a real broker, beyond the
 * contract every transport shares (contract.ts): errors for a broker that is
 * not there, heartbeats while paused, keys where other Kafka clients put
 * them, topic configs, read_committed across aborted transactions that
 * another client wrote, records the broker refuses on their own, and snappy
 * batches both ways through the broker.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import {
  createClusterAdmin,
  createTransport,
  partitionForKey,
  refusedRecords,
  type ConsumedRecord,
  type KafkaClient,
  type OutgoingRecord,
  type Transport,
} from '../../../src/transport/index.ts';
import { brokers, createTopic, kafka, uniqueName, withAdmin } from '../harness/kafka.ts';
import { eventually, join, take, until } from './contract.ts';

export function kafkaTransport(client: KafkaClient, brokerList: string[] = brokers()): Transport {
  return createTransport({ brokers: brokerList, clientId: 'sluice-contract', logger: silentLogger, client });
}

/** Over the 20,000-byte max.message.bytes of the tests' topics even when compressed (the limit is on the compressed batch). */
function incompressible(): string {
  return randomBytes(40_000).toString('base64');
}

/** The first `count` values of `topic` a read_committed reader gets, sorted. */
async function sortedValues(transport: Transport, topic: string, count: number): Promise<string[]> {
  const { consumer, stream } = await join(transport, { groupId: uniqueName('read'), topics: [topic], fromBeginning: true });
  const records = await take(stream, count);
  await consumer.disconnect();
  return records.map((r: ConsumedRecord) => r.value!.toString()).sort();
}

export function kafkaDriverContract(client: KafkaClient): void {
  async function withTransport(test: (transport: Transport) => Promise<void>): Promise<void> {
    const transport = kafkaTransport(client);
    try {
      await test(transport);
    } finally {
      await transport.close();
    }
  }

  describe(`Kafka driver contract: ${client}`, () => {
    it('reads keys where the kafkajs default partitioner (and so Kafka) put them', () =>
      withTransport(async (transport) => {
        const topic = uniqueName('keys');
        await createTopic(topic, 7);
        const raw = kafka().producer();
        await raw.connect();
        const keys = Array.from({ length: 500 }, (_, i) => `user-${i * 7919}`);
        await raw.send({ topic, acks: -1, messages: keys.map((key) => ({ key, value: key })) });
        await raw.disconnect();
        const { consumer, stream } = await join(transport, { groupId: uniqueName('keys'), topics: [topic], fromBeginning: true });
        const records = await take(stream, keys.length);
        await consumer.disconnect();
        expect(records).toHaveLength(keys.length);
        for (const r of records) expect(r.partition, r.key!.toString()).toBe(partitionForKey(r.key!, 7));
        expect(new Set(records.map((r) => r.partition)).size).toBe(7);
      }));

    it('gives end offsets a read_committed reader can reach: an open transaction is not counted until it commits', () =>
      withTransport(async (transport) => {
        const topic = uniqueName('lso');
        await createTopic(topic, 1);
        const raw = kafka().producer({ transactionalId: uniqueName('lso-txn'), idempotent: true, maxInFlightRequests: 1 });
        await raw.connect();
        await raw.send({ topic, acks: -1, messages: [{ value: 'plain' }] });
        const txn = await raw.transaction();
        await txn.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
        const admin = createClusterAdmin({ brokers: brokers(), clientId: 'sluice-lso', logger: silentLogger, client });
        const consumer = await transport.consumer({ groupId: uniqueName('lso'), topics: [topic] });
        try {
          expect(await consumer.endOffsets(topic)).toEqual([{ partition: 0, offset: '1' }]);
          expect(await transport.endOffsets(topic)).toEqual([{ partition: 0, offset: '1' }]);
          expect((await admin.topicOffsets([topic])).get(topic)).toEqual([{ partition: 0, low: '0', high: '1' }]);
          await txn.commit();
          // Two records and the commit marker, which the coordinator writes after it has answered the commit.
          await eventually(async () => (await consumer.endOffsets(topic))[0]?.offset !== '1', 'the commit marker is written');
          expect(await consumer.endOffsets(topic)).toEqual([{ partition: 0, offset: '4' }]);
          expect(await transport.endOffsets(topic)).toEqual([{ partition: 0, offset: '4' }]);
          expect((await admin.topicOffsets([topic])).get(topic)).toEqual([{ partition: 0, low: '0', high: '4' }]);
        } finally {
          await consumer.disconnect();
          await raw.disconnect();
          await admin.close();
        }
      }));

    it('maps a refused connection to SLUICE_ERR_BROKER_UNAVAILABLE, retriable', async () => {
      const transport = kafkaTransport(client, ['127.0.0.1:1']);
      try {
        await expect(transport.producer()).rejects.toMatchObject({ code: 'SLUICE_ERR_BROKER_UNAVAILABLE', retriable: true });
        await expect(transport.consumer({ groupId: uniqueName('nobody'), topics: ['t'] })).rejects.toMatchObject({
          code: 'SLUICE_ERR_BROKER_UNAVAILABLE',
          retriable: true,
        });
      } finally {
        await transport.close();
      }
    });

    it('keeps its group membership while paused for longer than the session timeout (heartbeats go on)', () =>
      withTransport(async (transport) => {
        const topic = uniqueName('paused');
        await createTopic(topic, 1);
        const producer = await transport.producer();
        await producer.send(Array.from({ length: 100 }, (_, i) => ({ topic, key: null, value: String(i) })));
        const groupId = uniqueName('paused');
        const members = async () => withAdmin(async (admin) => (await admin.describeGroups([groupId])).groups[0]!.members.map((m) => m.memberId));
        const { consumer, stream } = await join(transport, { groupId, topics: [topic], fromBeginning: true, sessionTimeoutMs: 6_000 }, 5);
        await until(() => stream.buffered === 5, 'the source fills');
        const before = await members();
        // Nobody reads for two session timeouts: a member that stopped heartbeating would be evicted.
        await new Promise((r) => setTimeout(r, 12_000));
        expect(await members()).toEqual(before);
        expect(before).toHaveLength(1);
        expect(stream.buffered).toBe(5);
        const records = await take(stream, 100);
        expect(records.map((r) => r.value!.toString())).toEqual(Array.from({ length: 100 }, (_, i) => String(i)));
        await consumer.disconnect();
      }));

    it('creates topics idempotently with their configs and describes them', () =>
      withTransport(async (transport) => {
        const name = uniqueName('spec');
        const spec = { name, partitions: 3, cleanupPolicy: 'compact' as const, retentionMs: 3_600_000 };
        await transport.createTopics([spec]);
        await transport.createTopics([spec]);
        expect(await transport.describeTopics([name, uniqueName('absent')])).toEqual([
          { name, partitions: 3, replicationFactor: 1, config: { 'cleanup.policy': 'compact', 'retention.ms': '3600000' } },
        ]);
      }));

    it('read_committed skips every aborted transaction, several of one producer in one fetch among them', () =>
      withTransport(async (transport) => {
        const topic = uniqueName('aborted');
        await createTopic(topic, 1);
        // kafkajs writes them: one transactional producer (one producer id), abort, commit, abort, in a row.
        const raw = kafka().producer({ transactionalId: uniqueName('aborted-txn'), idempotent: true, maxInFlightRequests: 1 });
        await raw.connect();
        try {
          for (const [outcome, values] of [['abort', ['a1', 'a2']], ['commit', ['c1', 'c2']], ['abort', ['a3', 'a4']], ['commit', ['c3']]] as const) {
            const txn = await raw.transaction();
            await txn.send({ topic, messages: values.map((value) => ({ value })) });
            await (outcome === 'commit' ? txn.commit() : txn.abort());
          }
        } finally {
          await raw.disconnect();
        }
        const { consumer, stream } = await join(transport, { groupId: uniqueName('aborted'), topics: [topic], fromBeginning: true, readCommitted: true });
        const values: string[] = [];
        await take(stream, 0, (r) => void values.push(r.value!.toString()), () => values.at(-1) === 'c3' || values.length >= 7);
        await consumer.disconnect();
        expect(values).toEqual(['c1', 'c2', 'c3']);
      }));

    it('refuses a record too large for its topic on its own: every other record of the batch is written once, and so are later batches', () =>
      withTransport(async (transport) => {
        const topic = uniqueName('too-large');
        await transport.createTopics([{ name: topic, partitions: 3, config: { 'max.message.bytes': '20000' } }]);
        const producer = await transport.producer();
        const batch: OutgoingRecord[] = Array.from({ length: 60 }, (_, i) => ({ topic, key: `k${i}`, value: i === 37 ? incompressible() : `v${i}` }));
        const err = await producer.send(batch).then(() => undefined, (e: unknown) => e);
        expect(refusedRecords(err)?.map((r) => [r.index, r.error.code, r.error.context.brokerError])).toEqual([[37, 'SLUICE_ERR_RECORD_REFUSED', 'MESSAGE_TOO_LARGE']]);
        expect(producer.acknowledged).toBe(59);
        // The next batch of the same producer (idempotent): a producer whose numbering went wrong would lose it as duplicates.
        await producer.send(Array.from({ length: 60 }, (_, i) => ({ topic, key: `k${i}`, value: `w${i}` })));
        await producer.send([{ topic, key: 'k0', value: 'last' }]);
        expect(producer.acknowledged).toBe(120);
        await producer.close();
        const expected = [...batch.filter((_, i) => i !== 37).map((r) => r.value as string), ...Array.from({ length: 60 }, (_, i) => `w${i}`), 'last'];
        expect(await sortedValues(transport, topic, expected.length)).toEqual(expected.sort());
      }));

    it('refuses a transaction with a record too large for its topic: those records are named and nothing of it is written', () =>
      withTransport(async (transport) => {
        const topic = uniqueName('too-large-txn');
        await transport.createTopics([{ name: topic, partitions: 2, config: { 'max.message.bytes': '20000' } }]);
        const txn = await transport.transactionalProducer(uniqueName('txn'));
        const records: OutgoingRecord[] = Array.from({ length: 20 }, (_, i) => ({ topic, key: null, partition: i % 2, value: i === 5 || i === 12 ? incompressible() : `v${i}` }));
        const err = await txn.transact(records, []).then(() => undefined, (e: unknown) => e);
        expect(refusedRecords(err)?.map((r) => [r.index, r.error.context.brokerError])).toEqual([
          [5, 'MESSAGE_TOO_LARGE'],
          [12, 'MESSAGE_TOO_LARGE'],
        ]);
        // Committed again without them, as the runtime does.
        await txn.transact([...records.filter((_, i) => i !== 5 && i !== 12), { topic, key: null, partition: 0, value: 'last' }], []);
        await txn.close();
        const expected = [...records.filter((_, i) => i !== 5 && i !== 12).map((r) => r.value as string), 'last'];
        expect(await sortedValues(transport, topic, expected.length)).toEqual(expected.sort());
      }));

    it('writes snappy batches the broker reads, and reads the xerial-framed snappy the broker writes', () =>
      withTransport(async (transport) => {
        const values = Array.from({ length: 500 }, (_, i) => JSON.stringify({ i, text: 'Zoë 数据 '.repeat(5) }));
        // gzip topic: the broker decompresses what the driver wrote as snappy to recompress it.
        // snappy topic: the broker (Java) recompresses the driver's gzip as snappy, in xerial frames.
        for (const [written, stored] of [['snappy', 'gzip'], ['gzip', 'snappy']] as const) {
          const topic = uniqueName(`to-${stored}`);
          await transport.createTopics([{ name: topic, partitions: 1, config: { 'compression.type': stored } }]);
          const producer = await transport.producer({ compression: written });
          await producer.send(values.map((value) => ({ topic, key: null, value })));
          await producer.close();
          expect(await sortedValues(transport, topic, values.length), `${written} into a ${stored} topic`).toEqual([...values].sort());
        }
      }));
  });
}
