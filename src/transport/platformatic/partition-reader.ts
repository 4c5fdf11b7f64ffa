/**
 * Reading partitions from a given offset to their end, outside any consumer
 * group (the restore path of state stores, as kafka/partition-reader.ts gives
 * it on kafkajs). @platformatic/kafka fetches any partition at any offset
 * without a group, so a consumer client that never joins one fetches each
 * partition from its leader. Ends are taken at the start (the last stable
 * offset when read committed); a partition is done once its fetch position,
 * which passes transaction markers and aborted records, reaches its end.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Consumer as PlatformaticConsumer, FetchIsolationLevels, type Admin } from '@platformatic/kafka';
import { ErrorCodes, type Logger } from '../../core/index.ts';
import { planReads } from '../partition-reads.ts';
import type { ConsumedRecord, PartitionRead, PartitionReadEnd, ReadPartitionsOptions } from '../types.ts';
import { guardSeedBrokers } from './broker-guard.ts';
import { clientOptions, logClientEvents, type PlatformaticClientOptions } from './client.ts';
import { platformaticCall } from './errors.ts';
import { fetchRequests, MAX_BYTES } from './fetch-requests.ts';
import { topicRanges } from './reads.ts';
import { committedBatches, consumedRecords, nextOffset } from './records.ts';

const MAX_WAIT_MS = 100;

export async function readPlatformaticPartitions(
  client: PlatformaticClientOptions,
  admin: Admin,
  logger: Logger,
  topic: string,
  reads: readonly PartitionRead[],
  onRecords: (records: readonly ConsumedRecord[]) => Promise<void>,
  options: ReadPartitionsOptions = {},
): Promise<PartitionReadEnd[]> {
  const readCommitted = options.readCommitted !== false;
  const ranges = await platformaticCall(ErrorCodes.CONSUME, { topic }, () => topicRanges(admin, [topic], readCommitted));
  const { done: results, pending } = planReads(topic, reads, ranges.get(topic) ?? []);
  if (pending.size === 0) return results;

  const reader = new PlatformaticConsumer<Buffer, Buffer, Buffer, Buffer>({ ...clientOptions(client), groupId: `${client.clientId}.restore.${randomUUID()}` });
  logClientEvents(reader, logger, { topic, client: 'partition-reader' });
  guardSeedBrokers(reader, client.brokers);
  const isolationLevel = readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED;
  try {
    while (pending.size > 0) {
      const metadata = await platformaticCall(ErrorCodes.CONSUME, { topic }, () => reader.metadata({ topics: [topic] }));
      const wants = [...pending].map(([partition, [offset]]) => ({ topic, partition, offset }));
      const { byLeader } = fetchRequests(metadata.topics, wants);
      if (byLeader.size === 0) {
        // Leaders moving: ask again shortly.
        reader.clearMetadata();
        await sleep(MAX_WAIT_MS);
        continue;
      }
      const answers = await Promise.all(
        [...byLeader].map(([node, topics]) =>
          platformaticCall(ErrorCodes.CONSUME, { topic }, () => reader.fetch({ node, topics, maxWaitTime: MAX_WAIT_MS, minBytes: 1, maxBytes: MAX_BYTES, isolationLevel })),
        ),
      );
      // Handed over one partition's answer at a time, each waiting for the one before.
      for (const answer of answers) {
        for (const p of answer.responses.flatMap((t) => t.partitions)) {
          const range = pending.get(p.partitionIndex);
          const batches = p.records;
          if (range === undefined || batches === undefined || batches.length === 0) continue;
          const [next, end] = range;
          const visible = readCommitted ? committedBatches(batches, p.abortedTransactions) : batches;
          const records: ConsumedRecord[] = [];
          consumedRecords(topic, p.partitionIndex, visible, next, records);
          const wanted = records.filter((r) => BigInt(r.offset) < end);
          if (wanted.length > 0) await onRecords(wanted);
          range[0] = nextOffset(batches) ?? next;
          if (range[0] >= end) {
            pending.delete(p.partitionIndex);
            results.push({ partition: p.partitionIndex, end: end.toString(), outOfRange: false });
          }
        }
      }
    }
  } finally {
    await reader.close().catch(() => undefined);
  }
  return results.sort((a, b) => a.partition - b.partition);
}
