/**
 * What every Kafka driver (kafka.test.ts: kafkajs, platformatic.test.ts:
 * @platformatic/kafka) must also do against a real broker, beyond the
 * contract every transport shares (contract.ts): errors for a broker that is
 * not there, heartbeats while paused, keys where other Kafka clients put
 * them, topic configs, and read_committed across aborted transactions that
 * another client wrote.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { createClusterAdmin, createTransport, partitionForKey, type KafkaClient, type Transport } from '../../../src/transport/index.ts';
import { brokers, createTopic, kafka, uniqueName, withAdmin } from '../harness/kafka.ts';
import { join, take, until } from './contract.ts';

export function kafkaTransport(client: KafkaClient, brokerList: string[] = brokers()): Transport {
  return createTransport({ brokers: brokerList, clientId: 'sluice-contract', logger: silentLogger, client });
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
          // Two records and the commit marker.
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
  });
}
