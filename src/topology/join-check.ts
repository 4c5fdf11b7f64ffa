/**
 * Co-partitioning of stream joins, checked before anything runs: a task joins partition N of both
 * sides, so records that match must be on the same partition number of each, which holds when both
 * topics have as many partitions and are keyed by the join field (the partitioner hashes the key).
 * A topic written in this topology is keyed by the field when every node writing it ends its steps
 * with `key: { field }`; a topic no node writes comes from outside, and only a warning says so.
 */
import { ErrorCodes, type ErrorCode } from '../core/index.ts';
import type { TopicSpec, TopologyNode } from './model.ts';
import type { PathSegment } from './problems.ts';
import { lastKeyField } from './repartition.ts';
import type { ReportOptions } from './reporter.ts';

type Report = (code: ErrorCode, path: PathSegment[], message: string, options?: ReportOptions) => void;

export function checkJoins(nodes: readonly TopologyNode[], topics: Readonly<Record<string, TopicSpec>>, report: Report): void {
  for (const n of nodes) {
    const join = n.join;
    if (join === undefined || n.input.kind !== 'topics') continue;
    const left = n.input.topics.filter((t) => t !== join.stream);
    const sides = [...left.map((t, i): [string, PathSegment[]] => [t, ['nodes', n.id, 'from', ...(left.length > 1 ? [i] : [])]]), [join.stream, ['nodes', n.id, 'join', 'stream']] as [string, PathSegment[]]];
    const right = topics[join.stream]?.partitions;
    for (const [topic, at] of sides) {
      const partitions = topics[topic]?.partitions;
      if (topic !== join.stream && partitions !== undefined && right !== undefined && partitions !== right) {
        report(ErrorCodes.TOPOLOGY_COPARTITION, at, `node \`${n.id}\` joins \`${topic}\` (${partitions} partitions) with \`${join.stream}\` (${right}): matching records would be read by different tasks`, {
          hint: 'give both topics the same `partitions`',
        });
      }
      const writers = nodes.filter((w) => w.writes.includes(topic));
      if (writers.length === 0) {
        report(ErrorCodes.TOPOLOGY_COPARTITION, at, `node \`${n.id}\` joins on \`${join.on}\`, and topic \`${topic}\` comes from outside this topology: its records must be keyed by \`${join.on}\``, { warning: true });
        continue;
      }
      for (const w of writers) {
        const key = lastKeyField(w.process);
        if (key === join.on) continue;
        report(ErrorCodes.TOPOLOGY_COPARTITION, at, `node \`${n.id}\` joins on \`${join.on}\`, but node \`${w.id}\` writes \`${topic}\` ${key === undefined ? 'without keying it by that field' : `keyed by \`${key}\``}: matching records would be on different partitions`, {
          hint: `end \`${w.id}\`'s process with \`- key: { field: ${join.on} }\``,
        });
      }
    }
  }
}
