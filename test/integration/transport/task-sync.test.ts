/**
 * A source stream syncing co-partitioned topics on a real broker: a stream
 * record waits until the records its table partition already has on the
 * broker are fetched, though they take several fetches (a kafkajs fetch holds
 * at most 1 MiB of a partition) and the stream's partition comes in the first.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { KafkaClient } from '../../../src/transport/clients.ts';
import { createSourceStream, type ConsumedRecord } from '../../../src/transport/index.ts';
import { createTopic, uniqueName } from '../harness/kafka.ts';
import { kafkaTransport } from './kafka-contract.ts';

const TABLE_RECORDS = 40_000;
const T0 = Date.UTC(2024, 0, 1);

describe.each<KafkaClient>(['kafkajs', 'platformatic'])('SourceStream sync on Kafka (%s)', (client) => {
  it("holds a stream record until the table partition's records on the broker are fetched", async () => {
    const [stream, table] = [uniqueName('sync-stream'), uniqueName('sync-table')];
    await Promise.all([createTopic(stream, 1), createTopic(table, 1)]);
    const transport = kafkaTransport(client);
    const producer = await transport.producer();
    // Incompressible: the fetch limit is on the compressed batches, and the table must take several.
    await producer.send(Array.from({ length: TABLE_RECORDS }, (_, i) => ({ topic: table, partition: 0, key: `k${i % 500}`, value: randomBytes(96).toString('base64'), timestamp: T0 + i })));
    await producer.send([{ topic: stream, partition: 0, key: 'k1', value: 'late in time', timestamp: T0 + 10 * TABLE_RECORDS }]);
    await producer.close();

    const consumer = await transport.consumer({ groupId: uniqueName('sync'), topics: [stream, table], fromBeginning: true });
    const source = await createSourceStream(consumer, { sync: { topics: [stream, table], maxIdleMs: 0 } });
    const got: ConsumedRecord[] = [];
    for await (const r of source.iterator({ destroyOnReturn: false }) as AsyncIterable<ConsumedRecord>) {
      got.push(r);
      if (got.length === TABLE_RECORDS + 1) break;
    }
    await consumer.disconnect();
    await transport.close();
    // Every table record is earlier than the stream record, so all of them go first.
    expect(got.findIndex((r) => r.topic === stream)).toBe(TABLE_RECORDS);
  }, 120_000);
});
