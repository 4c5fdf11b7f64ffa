/**
 * Fetch requests for @platformatic/kafka's `fetch`, one per partition leader:
 * the consumer's fetch loop and the partition reader build them alike. Topics
 * travel by id (Fetch v13+), so the answer is read back through `topicNames`.
 */
import type { fetchV17 } from '@platformatic/kafka';

export const MAX_BYTES = 10 * 1024 * 1024;
export const MAX_BYTES_PER_PARTITION = 1024 * 1024;

export interface FetchWant {
  topic: string;
  partition: number;
  offset: bigint;
}

interface TopicMetadata {
  id: string;
  partitions: Array<{ leader: number } | undefined>;
}

export interface FetchRequests {
  /** Leader node → what to fetch from it. */
  byLeader: Map<number, fetchV17.FetchRequestTopic[]>;
  /** Topic id → name. */
  topicNames: Map<string, string>;
}

/** Partitions whose topic is unknown or whose leader is not known at the moment are left out: fetched next time. */
export function fetchRequests(topics: ReadonlyMap<string, TopicMetadata>, wants: Iterable<FetchWant>): FetchRequests {
  const byLeader = new Map<number, fetchV17.FetchRequestTopic[]>();
  const topicNames = new Map<string, string>();
  for (const { topic, partition, offset } of wants) {
    const meta = topics.get(topic);
    const leader = meta?.partitions[partition]?.leader;
    if (meta === undefined || leader === undefined || leader < 0) continue;
    topicNames.set(meta.id, topic);
    let topicsOfLeader = byLeader.get(leader);
    if (topicsOfLeader === undefined) byLeader.set(leader, (topicsOfLeader = []));
    let entry = topicsOfLeader.find((t) => t.topicId === meta.id);
    if (entry === undefined) topicsOfLeader.push((entry = { topicId: meta.id, partitions: [] }));
    entry.partitions.push({ partition, fetchOffset: offset, partitionMaxBytes: MAX_BYTES_PER_PARTITION, currentLeaderEpoch: -1, lastFetchedEpoch: -1 });
  }
  return { byLeader, topicNames };
}
