/**
 * Reading partitions from a given offset to their end, outside the stage's
 * consumer group: how a task restores its stores from their changelogs.
 * kafkajs has no manual assignment, so a consumer of a group of its own (a
 * random id that never commits, so the broker forgets it once empty) takes
 * the whole topic, pauses the partitions not wanted and seeks the others.
 * Ends are taken at the start (the last stable offset when read committed:
 * the task's producer has fenced any earlier owner first, so no transaction
 * of its is still open); a partition is done once the consumer's position,
 * which passes transaction markers and aborted records, reaches its end.
 */
import { randomUUID } from 'node:crypto';
import { fetchTopicOffsets } from './topic-offsets.ts';
import type { Admin, Kafka } from 'kafkajs';
import { ErrorCodes } from '../../core/index.ts';
import { planReads } from '../partition-reads.ts';
import type { ConsumedRecord, PartitionRead, PartitionReadEnd, ReadPartitionsOptions } from '../types.ts';
import { recordsOf } from './consumer.ts';
import { kafkaCall } from './errors.ts';

export async function readKafkaPartitions(
  kafka: Kafka,
  admin: Admin,
  clientId: string,
  topic: string,
  reads: readonly PartitionRead[],
  onRecords: (records: readonly ConsumedRecord[]) => Promise<void>,
  options: ReadPartitionsOptions = {},
): Promise<PartitionReadEnd[]> {
  const offsets = await fetchTopicOffsets(admin, topic);
  const { done: results, pending } = planReads(topic, reads, offsets);
  if (pending.size === 0) return results;

  const consumer = kafka.consumer({
    groupId: `${clientId}.restore.${randomUUID()}`,
    readUncommitted: options.readCommitted === false,
    maxWaitTimeInMs: 100,
  });
  await kafkaCall(ErrorCodes.BROKER_UNAVAILABLE, { topic }, () => consumer.connect());
  try {
    await new Promise<void>((resolve, reject) => {
      const finish = (partition: number, end: bigint) => {
        if (!pending.delete(partition)) return;
        results.push({ partition, end: end.toString(), outOfRange: false });
        if (pending.size === 0) resolve();
      };
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        if (!payload.restart) reject(payload.error);
      });
      // A fetch of markers and aborted records alone reaches no handler: kafkajs moves past it and says so here.
      consumer.on(consumer.events.START_BATCH_PROCESS, ({ payload }) => {
        const range = payload.batchSize === 0 && payload.firstOffset !== null ? pending.get(payload.partition) : undefined;
        if (range === undefined || payload.topic !== topic || range[0] !== BigInt(payload.firstOffset!)) return;
        range[0] = BigInt(payload.lastOffset) + 1n;
        if (range[0] >= range[1]) finish(payload.partition, range[1]);
      });
      consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
        const unwanted = (payload.memberAssignment[topic] ?? []).filter((p) => !pending.has(p));
        if (unwanted.length > 0) consumer.pause([{ topic, partitions: unwanted }]);
        for (const [partition, [next]] of pending) consumer.seek({ topic, partition, offset: next.toString() });
      });
      void (async () => {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          eachBatch: async ({ batch, heartbeat, resolveOffset }) => {
            const range = pending.get(batch.partition);
            if (range === undefined) return;
            const [next, end] = range;
            const records = recordsOf(batch, next).filter((r) => BigInt(r.offset) < end);
            if (records.length > 0) await onRecords(records);
            // kafkajs fetches next from the last offset resolved (or the seek): unresolved, a partition
            // bigger than one fetch was fetched from its start again and again, never reaching its end.
            resolveOffset(batch.lastOffset());
            const position = BigInt(batch.lastOffset()) + 1n;
            range[0] = position;
            await heartbeat();
            if (position >= end) finish(batch.partition, end);
          },
        });
      })().catch(reject);
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
  return results.sort((a, b) => a.partition - b.partition);
}
