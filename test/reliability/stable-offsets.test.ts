/**
 * Offset fetches wait for transactions (OffsetFetch v7, require_stable), on the
 * real broker: while a transaction that commits a group's offset is open, a
 * fetch is refused as unstable instead of answering the older offset, which
 * is what let a new owner of a partition re-process an exactly-once stage's
 * last transaction (found by scenario 1).
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/index.ts';
import { createKafkaClient } from '../../src/transport/kafka/client.ts';
import { brokers, createTopic, uniqueName } from '../integration/harness/kafka.ts';

describe('offset fetch under an open transaction', () => {
  it('is refused as UNSTABLE_OFFSET_COMMIT until the transaction commits, then answers the new offset', async () => {
    const topic = uniqueName('stable');
    const group = uniqueName('stable-group');
    await createTopic(topic, 1);
    const kafka = createKafkaClient({ brokers: brokers(), clientId: 'sluice-stable-test', logger: silentLogger });
    const admin = kafka.admin();
    const producer = kafka.producer({ transactionalId: uniqueName('stable-txn'), idempotent: true, maxInFlightRequests: 1 });
    await Promise.all([admin.connect(), producer.connect()]);
    try {
      const txn = await producer.transaction();
      await txn.send({ topic, messages: [{ value: 'x' }] });
      await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic, partitions: [{ partition: 0, offset: '5' }] }] });
      await expect(admin.fetchOffsets({ groupId: group, topics: [topic] })).rejects.toMatchObject({ type: 'UNSTABLE_OFFSET_COMMIT', retriable: true });
      await txn.commit();
      const [found] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
      expect(found!.partitions).toEqual([{ partition: 0, offset: '5', metadata: null }]);
    } finally {
      await Promise.all([admin.disconnect(), producer.disconnect()]);
    }
  });
});
