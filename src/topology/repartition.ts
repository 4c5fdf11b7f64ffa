/**
 * Co-partitioning for windows, as Kafka Streams does it: a window groups by
 * key, and its state is per input partition, so every record of one key must
 * arrive on one partition. When a window groups by a field its input is not
 * already keyed by, the node runs as two stages joined by a repartition topic
 * `<topology>.<node>.repartition`:
 *
 *     <node>         input → processors → key by the window field → repartition topic
 *     <node>.window  repartition topic → window → output
 *
 * The split is made on the immutable topology description, before any stage
 * exists, so the rest of the runtime sees two ordinary nodes.
 *
 * As in Kafka Streams, the repartition topic has no time-based retention
 * (records keep their input's event times, and a segment whose newest record
 * is older than retention.ms is deleted whole, read or not); the window stage
 * deletes the records it has committed (runtime/task/task-manager.ts).
 */
import type { Step } from '../processors/index.ts';
import type { Topology, TopologyNode, TopicSpec } from './model.ts';

export function repartitionTopicOf(topology: Topology, node: TopologyNode): string {
  return `${topology.name}.${node.id}.repartition`;
}

/** The field a trailing `key:` step keys by; undefined when the key is unknown (none, or a step that may re-key after it). */
export function lastKeyField(steps: readonly Step[]): string | undefined {
  for (let i = steps.length - 1; i >= 0; i--) {
    const step = steps[i]!;
    if (step.kind === 'key') return step.field;
    // A user module may re-key; only a trailing `key:` step is proof of the key.
    if (step.kind === 'module' || step.kind === 'flatMap') return undefined;
  }
  return undefined;
}

/** True when every record reaching the window is already keyed by `field`. */
function keyedBy(topology: Topology, node: TopologyNode, field: string): boolean {
  if (lastKeyField(node.process) === field) return true;
  if (node.process.some((s) => s.kind === 'key' || s.kind === 'module' || s.kind === 'flatMap')) return false;
  if (node.input.kind !== 'topics') return false;
  const topics = node.input.topics;
  const writers = topology.nodes.filter((n) => n.writes.some((t) => topics.includes(t)));
  return writers.length > 0 && writers.every((w) => lastKeyField(w.process) === field);
}

export function needsRepartition(topology: Topology, node: TopologyNode): boolean {
  const key = node.window?.key;
  return key !== undefined && !keyedBy(topology, node, key);
}

/** The topology with every window node that needs it split around a repartition topic. */
export function expandRepartitions(topology: Topology): Topology {
  const split = topology.nodes.filter((n) => needsRepartition(topology, n));
  if (split.length === 0) return topology;
  const topics: Record<string, TopicSpec> = { ...topology.topics };
  const nodes: TopologyNode[] = [];
  for (const node of topology.nodes) {
    if (!split.includes(node)) {
      nodes.push(node);
      continue;
    }
    const window = node.window!;
    const topic = repartitionTopicOf(topology, node);
    const inputPartitions =
      node.input.kind === 'topics' ? Math.max(...node.input.topics.map((t) => topology.topics[t]?.partitions ?? 1)) : 1;
    topics[topic] = {
      name: topic,
      partitions: inputPartitions,
      replication: 1,
      cleanup: 'delete',
      retentionMs: -1,
      codec: 'json',
      compression: 'lz4',
      declared: false,
      deadLetter: false,
      repartition: true,
    };
    const { window: _dropped, codec: _codec, ...rest } = node;
    nodes.push({
      ...rest,
      process: [...node.process, { kind: 'key', field: window.key! }],
      output: { kind: 'topic', topic },
      writes: [topic],
    });
    nodes.push({
      ...node,
      id: `${node.id}.window`,
      input: { kind: 'topics', topics: [topic] },
      process: [],
      window: { window: window.window, aggregate: window.aggregate },
      reads: [topic],
    });
  }
  return { ...topology, topics, nodes };
}
