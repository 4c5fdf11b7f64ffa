/**
 * Co-partitioning of joins: a join runs in the task of the stream record's
 * partition, so the record and what it joins with (a table's row, the other
 * stream's records) must be on partition N of topics with equal partition
 * counts, under the same key. Checked on the description, before any stage
 * exists; each mismatch is a finding placed at the join in the file.
 *
 * Written for any join: a side is a topic and the field (or `key`) its
 * records are matched on; a table's side is always its record key.
 */
import { ErrorCodes } from '../core/index.ts';
import { JOIN_ON_KEY, type JoinSpec } from '../processors/index.ts';
import type { TopicSpec, TopologyNode } from './model.ts';
import type { Finding, PathSegment } from './problems.ts';
import { lastKeyField } from './repartition.ts';

export interface JoinSide {
  readonly topic: string;
  /** Where the side is named in the file. */
  readonly at: PathSegment[];
}

/** Every join step of a node, with its place in `process`. */
export function joinsOf(node: Pick<TopologyNode, 'process'>): Array<{ index: number; join: JoinSpec }> {
  const out: Array<{ index: number; join: JoinSpec }> = [];
  node.process.forEach((step, index) => {
    if (step.kind === 'join') out.push({ index, join: step.join });
  });
  return out;
}

/** The topics a node materialises as tables: read with its input, kept in its tasks' stores. */
export function tablesOf(node: Pick<TopologyNode, 'process'>): string[] {
  return [...new Set(joinsOf(node).flatMap(({ join }) => (join.with === 'table' ? [join.table] : [])))];
}

/**
 * Whether the records reaching `process[index]` are keyed, and partitioned, by `on`:
 * partitioned by their input topic's key, and not re-keyed in the node before it.
 */
export function keyedAt(nodes: readonly TopologyNode[], node: TopologyNode, index: number, on: string): boolean {
  const before = node.process.slice(0, index);
  // A key set in this node is not the key the input was partitioned by.
  if (before.some((s) => s.kind === 'key' || s.kind === 'module' || s.kind === 'flatMap')) return false;
  if (on === JOIN_ON_KEY) return true;
  if (node.input.kind !== 'topics') return false;
  const topics = node.input.topics;
  const writers = nodes.filter((n) => n.writes.some((t) => topics.includes(t)));
  return writers.length > 0 && writers.every((w) => lastKeyField(w.process) === on);
}

/**
 * Findings for one join of `node` at `process[index]`, matching the stream on `on`
 * with `sides` (matched on their record key): equal partition counts, same key.
 */
export function copartitionFindings(
  topics: Readonly<Record<string, TopicSpec>>,
  nodes: readonly TopologyNode[],
  node: TopologyNode,
  index: number,
  on: string,
  sides: readonly JoinSide[],
): Finding[] {
  const at: PathSegment[] = ['nodes', node.id, 'process', index, 'join'];
  if (node.input.kind !== 'topics') {
    return [{ code: ErrorCodes.TOPOLOGY_COPARTITION, path: at, message: `node \`${node.id}\` joins, so it must read topics: a join meets the other side in the task of the record’s partition`, hint: 'write the source to a topic and join in a node with `from: TOPIC`' }];
  }
  const out: Finding[] = [];
  const inputs = node.input.topics.map((t) => ({ topic: t, partitions: topics[t]?.partitions ?? 1 }));
  for (const side of sides) {
    const partitions = topics[side.topic]?.partitions ?? 1;
    for (const input of inputs) {
      if (input.partitions === partitions) continue;
      out.push({
        code: ErrorCodes.TOPOLOGY_COPARTITION,
        path: side.at,
        message: `\`${input.topic}\` has ${input.partitions} partition(s) and \`${side.topic}\` ${partitions}: joined topics need equal partition counts, so a key’s records meet in one task`,
        hint: `give both the same \`partitions\``,
      });
    }
  }
  if (!keyedAt(nodes, node, index, on)) {
    out.push({
      code: ErrorCodes.TOPOLOGY_COPARTITION,
      path: [...at, 'on'],
      message:
        on === JOIN_ON_KEY
          ? `node \`${node.id}\` re-keys its records before the join, so \`on: key\` is not the key \`${node.input.topics.join('`, `')}\` is partitioned by`
          : `the records joined on \`${on}\` are not known to be keyed by it: the node that writes \`${node.input.topics.join('`, `')}\` must end with \`key: { field: ${on} }\``,
      hint: on === JOIN_ON_KEY ? 'join before the `key:` step, or in the next node' : `key the input by \`${on}\` where it is written, or join \`on: key\` when the key already is it`,
    });
  }
  return out;
}

/** Every table join's findings: the table is a declared, compacted topic, co-partitioned with the stream. */
export function checkTableJoins(nodes: readonly TopologyNode[], topics: Readonly<Record<string, TopicSpec>>): Finding[] {
  const out: Finding[] = [];
  for (const node of nodes) {
    for (const { index, join } of joinsOf(node)) {
      if (join.with !== 'table') continue;
      const at: PathSegment[] = ['nodes', node.id, 'process', index, 'join', 'table'];
      const spec = topics[join.table];
      if (spec === undefined || !spec.declared) {
        out.push({ code: ErrorCodes.TOPOLOGY_TOPIC_UNKNOWN, path: at, message: `table \`${join.table}\` is not declared under \`topics:\``, hint: `declare it: \`${join.table}: { cleanup: compact }\`` });
        continue;
      }
      if (spec.cleanup !== 'compact') {
        out.push({ code: ErrorCodes.TOPOLOGY_COPARTITION, path: at, message: `table \`${join.table}\` is restored from its topic, which must keep every key’s latest value: it needs \`cleanup: compact\``, hint: `set \`cleanup: compact\` on topic \`${join.table}\`` });
      }
      if (node.input.kind === 'topics' && node.input.topics.includes(join.table)) {
        out.push({ code: ErrorCodes.TOPOLOGY_COPARTITION, path: at, message: `node \`${node.id}\` reads \`${join.table}\` both as its stream and as a table` });
        continue;
      }
      out.push(...copartitionFindings(topics, nodes, node, index, join.on, [{ topic: join.table, at }]));
    }
  }
  return out;
}
