/**
 * A topology's topics on the cluster: created before any stage starts
 * (partitions, replication, cleanup.policy, retention), and, where they
 * exist already, compared with what the topology declares. A difference is
 * an error naming the topic and the setting: a topic with other partitions
 * breaks key order and co-partitioning, a compacted topic where the
 * topology expects deletion loses records, and no stage should start on that.
 * Topics the topology only names (created with defaults) are not compared.
 * Repartition topics are sluice's own: their cleanup.policy and retention.ms
 * are, since one left at the broker's retention deletes records with old
 * event times before the window reads them.
 */
import { ErrorCodes, SluiceError } from '../core/index.ts';
import { topicSpecsOf } from '../runtime/index.ts';
import type { Topology } from '../topology/index.ts';
import type { ClusterAdmin, TopicDescription, Transport } from '../transport/index.ts';
import { topicsOf, type TopologyPlan } from './plan.ts';

export interface TopicDifference {
  topic: string;
  setting: 'missing' | 'partitions' | 'replication' | 'cleanup.policy' | 'retention.ms';
  /** As the topology declares it. */
  expected: string;
  /** As the cluster has it. */
  actual: string;
}

/** The differences between the declared topics and the cluster's descriptions (pure). */
export function compareTopics(topology: Topology, described: readonly TopicDescription[]): TopicDifference[] {
  const found = new Map(described.map((d) => [d.name, d]));
  const out: TopicDifference[] = [];
  for (const spec of Object.values(topology.topics)) {
    if (!spec.declared && !spec.repartition) continue;
    const actual = found.get(spec.name);
    if (actual === undefined) {
      if (spec.declared) out.push({ topic: spec.name, setting: 'missing', expected: `${spec.partitions} partition(s)`, actual: 'absent' });
      continue;
    }
    const check = (setting: TopicDifference['setting'], expected: string, value: string | undefined) => {
      if (value !== undefined && value !== expected) out.push({ topic: spec.name, setting, expected, actual: value });
    };
    if (spec.declared) {
      check('partitions', String(spec.partitions), String(actual.partitions));
      check('replication', String(spec.replication), String(actual.replicationFactor));
    }
    check('cleanup.policy', spec.cleanup, actual.config['cleanup.policy']);
    if (spec.retentionMs !== undefined) check('retention.ms', String(spec.retentionMs), actual.config['retention.ms']);
  }
  return out;
}

export function describeDifferences(differences: readonly TopicDifference[]): string {
  return differences
    .map((d) => (d.setting === 'missing' ? `topic \`${d.topic}\` does not exist` : `topic \`${d.topic}\`: ${d.setting} is ${d.actual} on the cluster, ${d.expected} in the topology`))
    .join('; ');
}

/** Differences for the topics that exist (missing ones are not a mismatch). */
export async function checkTopics(transport: Transport, topology: Topology): Promise<TopicDifference[]> {
  const described = await transport.describeTopics(Object.keys(topology.topics));
  return compareTopics(topology, described);
}

/**
 * Creates what is missing, then refuses a mismatch of what existed. Returns
 * the names created.
 */
export async function ensureTopics(transport: Transport, topology: Topology): Promise<string[]> {
  const described = await transport.describeTopics(Object.keys(topology.topics));
  const before = new Set(described.map((d) => d.name));
  const mismatched = compareTopics(topology, described).filter((d) => d.setting !== 'missing');
  if (mismatched.length > 0) {
    throw new SluiceError(ErrorCodes.TOPIC_MISMATCH, `existing topics differ from ${topology.file}: ${describeDifferences(mismatched)}`, {
      context: { file: topology.file, topic: mismatched[0]!.topic },
    });
  }
  await transport.createTopics(topicSpecsOf(topology));
  return Object.keys(topology.topics).filter((t) => !before.has(t));
}

/** Deletes every topic the plan's stages use (declared, internal and dead-letter) that exists; returns those deleted. */
export function deleteTopics(admin: ClusterAdmin, plan: TopologyPlan): Promise<string[]> {
  return admin.deleteTopics(topicsOf(plan));
}
