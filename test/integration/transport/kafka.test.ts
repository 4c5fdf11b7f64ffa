import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { createClusterAdmin, createTransport, partitionForKey, type Transport } from '../../../src/transport/index.ts';
import { brokers, createTopic, kafka, uniqueName, withAdmin } from '../harness/kafka.ts';
import { join, owned, take, transportContract, until } from './contract.ts';

const kafkaTransport = (): Transport => createTransport({ brokers: brokers(), clientId: 'sluice-contract', logger: silentLogger });

transportContract('kafka', { transport: kafkaTransport });

describe('kafka transport', () => {
  it('reads keys where the kafkajs default partitioner (and so Kafka) put them', async () => {
    const topic = uniqueName('keys');
    await createTopic(topic, 7);
    const raw = kafka().producer();
    await raw.connect();
    const keys = Array.from({ length: 500 }, (_, i) => `user-${i * 7919}`);
    await raw.send({ topic, acks: -1, messages: keys.map((key) => ({ key, value: key })) });
    await raw.disconnect();

    const transport = kafkaTransport();
    try {
      const { consumer, stream } = await join(transport, { groupId: uniqueName('keys'), topics: [topic], fromBeginning: true });
      const records = await take(stream, keys.length);
      await consumer.disconnect();
      expect(records).toHaveLength(keys.length);
      for (const r of records) expect(r.partition, r.key!.toString()).toBe(partitionForKey(r.key!, 7));
      expect(new Set(records.map((r) => r.partition)).size).toBe(7);
    } finally {
      await transport.close();
    }
  });

  it('gives end offsets a read_committed reader can reach: an open transaction is not counted until it commits', async () => {
    const topic = uniqueName('lso');
    await createTopic(topic, 1);
    const raw = kafka().producer({ transactionalId: uniqueName('lso-txn'), idempotent: true, maxInFlightRequests: 1 });
    await raw.connect();
    await raw.send({ topic, acks: -1, messages: [{ value: 'plain' }] });
    const txn = await raw.transaction();
    await txn.send({ topic, messages: [{ value: 'a' }, { value: 'b' }] });
    const transport = kafkaTransport();
    const admin = createClusterAdmin({ brokers: brokers(), clientId: 'sluice-lso', logger: silentLogger });
    const consumer = await transport.consumer({ groupId: uniqueName('lso'), topics: [topic] });
    try {
      expect(await consumer.endOffsets(topic)).toEqual([{ partition: 0, offset: '1' }]);
      expect((await admin.topicOffsets([topic])).get(topic)).toEqual([{ partition: 0, low: '0', high: '1' }]);
      await txn.commit();
      // Two records and the commit marker.
      expect(await consumer.endOffsets(topic)).toEqual([{ partition: 0, offset: '4' }]);
      expect((await admin.topicOffsets([topic])).get(topic)).toEqual([{ partition: 0, low: '0', high: '4' }]);
    } finally {
      await raw.disconnect();
      await admin.close();
      await transport.close();
    }
  });

  it('maps a refused connection to SLUICE_ERR_BROKER_UNAVAILABLE, retriable', async () => {
    const transport = createTransport({ brokers: ['127.0.0.1:1'], clientId: 'nobody-home', logger: silentLogger });
    try {
      await expect(transport.producer()).rejects.toMatchObject({ code: 'SLUICE_ERR_BROKER_UNAVAILABLE', retriable: true });
    } finally {
      await transport.close();
    }
  });

  it('drops work of revoked partitions: no more records of them, and their commits are refused', async () => {
    const topic = uniqueName('stale');
    await createTopic(topic, 2);
    const transport = kafkaTransport();
    try {
      const producer = await transport.producer();
      await producer.send(Array.from({ length: 200 }, (_, i) => ({ topic, key: null, value: String(i), partition: i % 2 })));
      const groupId = uniqueName('stale');
      const revoked: number[] = [];
      // a holds both partitions and a small buffer, so it is paused when b arrives.
      const a = await join(
        transport,
        { groupId, topics: [topic], fromBeginning: true, onRevoke: (parts) => void revoked.push(...parts.flatMap((p) => p.partitions)) },
        10,
      );
      await until(() => a.stream.buffered === 10, 'a fills its buffer');
      await take(a.stream, 1);
      const b = await join(transport, { groupId, topics: [topic], fromBeginning: true });
      await until(() => owned(a.consumer.assignment()) === 1 && revoked.length === 1, 'a loses one partition');
      const lost = revoked[0]!;
      const kept = a.consumer.assignment()[0]!.partitions[0]!;

      expect(await a.consumer.commit(topic, lost, '50')).toBe(false);
      expect(await a.consumer.commit(topic, kept, '1')).toBe(true);
      const committed = await a.consumer.committedOffsets(topic);
      expect(committed.find((c) => c.partition === lost)?.offset).toBeNull();

      // Pause survived the rebalance: still bounded.
      expect(a.stream.buffered).toBeLessThanOrEqual(10);
      const later = await take(a.stream, 60);
      // Only a record already in the stream's Readable buffer (at most one) may belong to the lost partition.
      expect(later.slice(1).every((r) => r.partition === kept)).toBe(true);
      await b.consumer.disconnect();
      await a.consumer.disconnect();
    } finally {
      await transport.close();
    }
  });

  it('keeps its group membership while paused for longer than the session timeout (heartbeats go on)', async () => {
    const topic = uniqueName('paused');
    await createTopic(topic, 1);
    const transport = kafkaTransport();
    try {
      const producer = await transport.producer();
      await producer.send(Array.from({ length: 100 }, (_, i) => ({ topic, key: null, value: String(i) })));
      const groupId = uniqueName('paused');
      const members = async () =>
        withAdmin(async (admin) => (await admin.describeGroups([groupId])).groups[0]!.members.map((m) => m.memberId));
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
    } finally {
      await transport.close();
    }
  });

  it('creates topics idempotently with their configs and describes them', async () => {
    const transport = kafkaTransport();
    try {
      const name = uniqueName('spec');
      const spec = { name, partitions: 3, cleanupPolicy: 'compact' as const, retentionMs: 3_600_000 };
      await transport.createTopics([spec]);
      await transport.createTopics([spec]);
      expect(await transport.describeTopics([name, uniqueName('absent')])).toEqual([
        { name, partitions: 3, replicationFactor: 1, config: { 'cleanup.policy': 'compact', 'retention.ms': '3600000' } },
      ]);
    } finally {
      await transport.close();
    }
  });
});
