/**
 * Co-partitioning of joins, checked on the description before any stage exists. A join runs in
 * the task of the stream record's partition number, so the record and what it joins with (a
 * table's row, the other stream's records) must be on partition N of topics with equal partition
 * counts, under the same key (the partitioner hashes the key). Both joins go through one check:
 *
 * - a table join (`process: - join: { table }`) has the node's input topics on one side and the
 *   table, keyed by its record key, on the other;
 * - a stream join (`join: { stream }`) has the node's `from` topics on one side and `stream` on the
 *   other, both keyed by `on`.
 *
 * A topic written in this topology is keyed by a field when every node writing it ends its steps
 * with `key: { field }`; a topic no node writes comes from outside, and only a warning says so.
 * Each mismatch is a finding placed where the file names the join's side.
 */
import { ErrorCodes } from '../core/index.ts';
import { JOIN_ON_KEY, type Step, type TableJoinSpec } from '../processors/index.ts';
import type { TopicSpec, TopologyNode } from './model.ts';
import type { Finding, PathSegment } from './problems.ts';
import { lastKeyField } from './repartition.ts';

/** One topic a join reads. `keyedBy`: the field its records must be keyed by; undefined when its key is the join key by definition (a table). */
interface JoinSide {
  readonly topic: string;
  readonly at: PathSegment[];
  readonly keyedBy: string | undefined;
}

/** A join as the check sees it: the node's stream side(s), the other side, and the steps the stream goes through first. */
interface JoinSite {
  readonly node: TopologyNode;
  /** Where `on` is written. */
  readonly onAt: PathSegment[];
  readonly streams: readonly JoinSide[];
  readonly other: JoinSide;
  readonly before: readonly Step[];
}

/** Every join step of a node, with its place in `process`. */
export function joinsOf(node: Pick<TopologyNode, 'process'>): Array<{ index: number; join: TableJoinSpec }> {
  const out: Array<{ index: number; join: TableJoinSpec }> = [];
  node.process.forEach((step, index) => {
    if (step.kind === 'join') out.push({ index, join: step.join });
  });
  return out;
}

/** The topics a node materialises as tables: read with its input, kept in its tasks' stores. */
export function tablesOf(node: Pick<TopologyNode, 'process'>): string[] {
  return [...new Set(joinsOf(node).map(({ join }) => join.table))];
}

function keyFindings(nodes: readonly TopologyNode[], site: JoinSite, side: JoinSide): Finding[] {
  const field = side.keyedBy;
  if (field === undefined || field === JOIN_ON_KEY) return [];
  const writers = nodes.filter((w) => w.writes.includes(side.topic));
  if (writers.length === 0) {
    return [{ code: ErrorCodes.TOPOLOGY_COPARTITION, path: side.at, warning: true, message: `node \`${site.node.id}\` joins on \`${field}\`, and topic \`${side.topic}\` comes from outside this topology: its records must be keyed by \`${field}\`` }];
  }
  return writers.flatMap((w): Finding[] => {
    const key = lastKeyField(w.process);
    if (key === field) return [];
    return [{
      code: ErrorCodes.TOPOLOGY_COPARTITION,
      path: side.at,
      message: `node \`${site.node.id}\` joins on \`${field}\`, but node \`${w.id}\` writes \`${side.topic}\` ${key === undefined ? 'without keying it by that field' : `keyed by \`${key}\``}: matching records would be on different partitions`,
      hint: `end \`${w.id}\`'s process with \`- key: { field: ${field} }\``,
    }];
  });
}

function siteFindings(topics: Readonly<Record<string, TopicSpec>>, nodes: readonly TopologyNode[], site: JoinSite): Finding[] {
  const out: Finding[] = [];
  const { node, other } = site;
  const partitions = topics[other.topic]?.partitions ?? 1;
  for (const stream of site.streams) {
    const own = topics[stream.topic]?.partitions ?? 1;
    if (own === partitions) continue;
    out.push({
      code: ErrorCodes.TOPOLOGY_COPARTITION,
      path: other.at,
      message: `node \`${node.id}\` joins \`${stream.topic}\` (${own} partitions) with \`${other.topic}\` (${partitions}): matching records would be read by different tasks`,
      hint: 'give both topics the same `partitions`',
    });
  }
  // A key set in this node before the join is not the key the input was partitioned by.
  const rekey = site.before.find((s) => s.kind === 'key' || s.kind === 'module' || s.kind === 'flatMap');
  if (rekey !== undefined) {
    out.push({
      code: ErrorCodes.TOPOLOGY_COPARTITION,
      path: site.onAt,
      message: `node \`${node.id}\` may re-key its records (a \`${rekey.kind}\` step) before the join, so they are no longer on the partition of their key`,
      hint: 'join before that step, or in the next node',
    });
    return out;
  }
  for (const side of [...site.streams, other]) out.push(...keyFindings(nodes, site, side));
  return out;
}

/** The node's `from` topics (without a stream join's right side), each where the file names it. */
function streamSides(node: TopologyNode, keyedBy: string | undefined): JoinSide[] {
  if (node.input.kind !== 'topics') return [];
  const from = node.input.topics.filter((t) => t !== node.join?.stream);
  return from.map((topic, i) => ({ topic, at: ['nodes', node.id, 'from', ...(from.length > 1 ? [i] : [])], keyedBy }));
}

/** A table join's own rules: the table is a declared, compacted topic the node does not also stream. */
function tableFindings(topics: Readonly<Record<string, TopicSpec>>, node: TopologyNode, join: TableJoinSpec, at: PathSegment[]): Finding[] | undefined {
  const spec = topics[join.table];
  if (spec === undefined || !spec.declared) {
    return [{ code: ErrorCodes.TOPOLOGY_TOPIC_UNKNOWN, path: at, message: `table \`${join.table}\` is not declared under \`topics:\``, hint: `declare it: \`${join.table}: { cleanup: compact }\`` }];
  }
  if (node.input.kind !== 'topics') {
    return [{ code: ErrorCodes.TOPOLOGY_COPARTITION, path: at, message: `node \`${node.id}\` joins a table, so it must read topics: a join meets the other side in the task of the record’s partition`, hint: 'write the source to a topic and join in a node with `from: TOPIC`' }];
  }
  if (node.input.topics.includes(join.table)) {
    return [{ code: ErrorCodes.TOPOLOGY_COPARTITION, path: at, message: `node \`${node.id}\` reads \`${join.table}\` both as its stream and as a table` }];
  }
  if (spec.cleanup !== 'compact') {
    return [{ code: ErrorCodes.TOPOLOGY_COPARTITION, path: at, message: `table \`${join.table}\` is restored from its topic, which must keep every key’s latest value: it needs \`cleanup: compact\``, hint: `set \`cleanup: compact\` on topic \`${join.table}\`` }];
  }
  return undefined;
}

/** Every join's findings, table joins and stream joins alike. */
export function checkJoins(nodes: readonly TopologyNode[], topics: Readonly<Record<string, TopicSpec>>): Finding[] {
  const out: Finding[] = [];
  for (const node of nodes) {
    const stream = node.join;
    if (stream !== undefined) {
      const at: PathSegment[] = ['nodes', node.id, 'join'];
      out.push(...siteFindings(topics, nodes, {
        node,
        onAt: [...at, 'on'],
        streams: streamSides(node, stream.on),
        other: { topic: stream.stream, at: [...at, 'stream'], keyedBy: stream.on },
        before: [],
      }));
    }
    for (const { index, join } of joinsOf(node)) {
      const at: PathSegment[] = ['nodes', node.id, 'process', index, 'join'];
      const own = tableFindings(topics, node, join, [...at, 'table']);
      if (own !== undefined) {
        out.push(...own);
        continue;
      }
      // `on: key` matches whatever the input is keyed by; a field, what its writers key by.
      out.push(...siteFindings(topics, nodes, {
        node,
        onAt: [...at, 'on'],
        streams: streamSides(node, join.on),
        other: { topic: join.table, at: [...at, 'table'], keyedBy: undefined },
        before: node.process.slice(0, index),
      }));
    }
  }
  return out;
}
