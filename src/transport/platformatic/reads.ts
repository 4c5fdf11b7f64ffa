/**
 * The offset and topic reads one admin client serves, for the transport, its
 * consumers and the monitor alike. Committed offsets are read with
 * `require_stable` (KIP-447), as kafka/stable-offsets.ts explains: while a
 * transaction that moves a group's offset is completing the broker answers
 * UNSTABLE_OFFSET_COMMIT instead of the older offset, and that is waited out
 * here, as kafka/committed-offsets.ts does.
 */
import { FetchIsolationLevels, ListOffsetTimestamps, type Admin, type FetchIsolationLevelValue } from '@platformatic/kafka';
import { retryTransient } from '../kafka/retry-transient.ts';
import type { PartitionOffset, PartitionRange } from '../types.ts';
import { hasProtocolError } from './errors.ts';

/** A transaction stays open at most this long in practice (sluice's are one batch each). */
const UNSTABLE_WAIT_MS = 15_000;

export async function existingTopics(admin: Admin): Promise<Set<string>> {
  return new Set(await admin.listTopics());
}

function indexes(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

/** Partitions per topic; every topic must exist. */
export async function partitionCounts(admin: Admin, topics: readonly string[]): Promise<Map<string, number>> {
  const metadata = await admin.metadata({ topics: [...topics] });
  return new Map(topics.map((t) => [t, metadata.topics.get(t)?.partitionsCount ?? 0]));
}

/** The group's committed offset of every partition of each topic (null where it has none); topics must exist. */
export async function committedOffsets(admin: Admin, groupId: string, topics: readonly string[]): Promise<Map<string, PartitionOffset[]>> {
  const counts = await partitionCounts(admin, topics);
  const fetch = () =>
    admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: topics.map((name) => ({ name, partitionIndexes: indexes(counts.get(name) ?? 0) })) }],
      requireStable: true,
    });
  const groups = await retryTransient(fetch, (err) => hasProtocolError(err, 'UNSTABLE_OFFSET_COMMIT'), UNSTABLE_WAIT_MS);
  const out = new Map<string, PartitionOffset[]>(topics.map((t) => [t, []]));
  for (const { name, partitions } of groups.find((g) => g.groupId === groupId)?.topics ?? []) {
    out.set(
      name,
      partitions
        .map((p) => ({ partition: p.partitionIndex, offset: p.committedOffset < 0n ? null : p.committedOffset.toString() }))
        .sort((a, b) => a.partition - b.partition),
    );
  }
  return out;
}

async function listed(admin: Admin, counts: Map<string, number>, timestamp: bigint, isolationLevel: FetchIsolationLevelValue): Promise<Map<string, Map<number, string>>> {
  const topics = [...counts].map(([name, count]) => ({ name, partitions: indexes(count).map((partitionIndex) => ({ partitionIndex, timestamp })) }));
  const answer = await admin.listOffsets({ topics, isolationLevel });
  return new Map(answer.map((t) => [t.name, new Map(t.partitions.map((p) => [p.partitionIndex, p.offset.toString()]))]));
}

/**
 * First and end offsets of every partition; topics must exist. The end is the
 * last stable offset, what a read_committed reader reaches (as kafkajs'
 * fetchTopicOffsets reports), unless `readCommitted` is false: then the high watermark.
 */
export async function topicRanges(admin: Admin, topics: readonly string[], readCommitted = true): Promise<Map<string, PartitionRange[]>> {
  if (topics.length === 0) return new Map();
  const counts = await partitionCounts(admin, topics);
  const isolation = readCommitted ? FetchIsolationLevels.READ_COMMITTED : FetchIsolationLevels.READ_UNCOMMITTED;
  const [low, high] = await Promise.all([listed(admin, counts, ListOffsetTimestamps.EARLIEST, isolation), listed(admin, counts, ListOffsetTimestamps.LATEST, isolation)]);
  return new Map(
    topics.map((t) => [
      t,
      indexes(counts.get(t) ?? 0).map((partition) => ({ partition, low: low.get(t)?.get(partition) ?? '0', high: high.get(t)?.get(partition) ?? '0' })),
    ]),
  );
}
