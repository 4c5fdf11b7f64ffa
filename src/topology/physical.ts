/**
 * The physical plan: the topology as its stages run, computed once from the
 * immutable description and used by every caller (the coordinator's plan,
 * worker processes, in-process runs). It is the written topology
 *
 * - under a namespace (namespace.ts),
 * - with window nodes split around repartition topics (repartition.ts),
 * - with the internal topics its stages keep state in: the source-offsets
 *   topic of a node whose file or counted generator has a position, and the
 *   changelog of every window node's store.
 *
 * Internal topics are declared like any other, so they are created and
 * checked with the rest (`sluice topics`), before any stage starts.
 */
import type { Topology, TopologyNode, TopicSpec } from './model.ts';
import { namespaced } from './namespace.ts';
import { expandRepartitions } from './repartition.ts';

/** The one state store a window node keeps: its aggregates (windowed or running). */
export const AGGREGATE_STORE = 'aggregate';

/** The one store a stream-join node keeps: the buffered records of both sides (stream-join.ts says why one). */
export const JOIN_STORE = 'join';

/** Nodes whose source has a position to keep: files and generators with a `count`. */
export function keepsSourcePosition(node: TopologyNode): boolean {
  return node.input.kind === 'file' || (node.input.kind === 'generator' && node.input.count !== undefined);
}

export function sourceOffsetsTopicOf(topology: Topology, node: TopologyNode): string {
  return `${topology.name}.${node.id}.source-offsets`;
}

/** Kafka Streams' naming: `<application>-<store>-changelog`, here `<topology>.<node>.<store>-changelog`. */
export function changelogTopicOf(topology: Topology, node: TopologyNode, store: string): string {
  return `${topology.name}.${node.id}.${store}-changelog`;
}

/** The stores a node keeps, by name. */
export function storesOf(node: TopologyNode): string[] {
  if (node.join !== undefined) return [JOIN_STORE];
  return node.window !== undefined ? [AGGREGATE_STORE] : [];
}

/** Partitions of the node's input: its tasks, one per partition number (co-partitioned inputs share them). */
export function taskCountOf(topology: Topology, node: TopologyNode): number {
  if (node.input.kind !== 'topics') return 1;
  return Math.max(1, ...node.input.topics.map((t) => topology.topics[t]?.partitions ?? 1));
}

/** As durable as the topics the node reads and writes. */
function replicationOf(topology: Topology, node: TopologyNode): number {
  return Math.max(1, ...[...node.reads, ...node.writes].map((t) => topology.topics[t]?.replication ?? 1));
}

function internalTopic(name: string, partitions: number, replication: number): TopicSpec {
  return { name, partitions, replication, cleanup: 'compact', codec: 'json', compression: 'lz4', declared: false, deadLetter: false, repartition: false };
}

/** The topology with the internal topics of its nodes' source positions and stores. */
export function addInternalTopics(topology: Topology): Topology {
  const topics: Record<string, TopicSpec> = { ...topology.topics };
  let added = false;
  for (const node of topology.nodes) {
    if (keepsSourcePosition(node)) {
      const name = sourceOffsetsTopicOf(topology, node);
      topics[name] = internalTopic(name, 1, replicationOf(topology, node));
      added = true;
    }
    for (const store of storesOf(node)) {
      const name = changelogTopicOf(topology, node, store);
      topics[name] = internalTopic(name, taskCountOf(topology, node), replicationOf(topology, node));
      added = true;
    }
  }
  return added ? { ...topology, topics } : topology;
}

/** The topology as its stages run (see above). */
export function physicalTopology(topology: Topology, namespace: string): Topology {
  return addInternalTopics(expandRepartitions(namespaced(topology, namespace)));
}
