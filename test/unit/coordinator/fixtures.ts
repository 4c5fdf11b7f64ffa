/** A plan of the word-count example and hand-made cluster samples for it (no broker). */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Coordinator, planTopology, type ClusterSample, type HttpOptions, type TopologyPlan } from '../../../src/coordinator/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import type { GroupDescription, PartitionOffset, PartitionRange } from '../../../src/transport/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';

export const wordCountFile = fileURLToPath(new URL('../../../topologies/word-count/topology.yaml', import.meta.url));

export async function wordCountPlan(namespace = ''): Promise<TopologyPlan> {
  return planTopology(await loadTopology(wordCountFile), { namespace });
}

/** A coordinator running the word-count example on the embedded transport in this process, serving `http`. */
export async function startWordCount(http: HttpOptions): Promise<Coordinator> {
  const stdout = new PassThrough();
  stdout.resume();
  return Coordinator.start({
    topology: await loadTopology(wordCountFile),
    logger: silentLogger,
    namespace: `t${randomUUID().slice(0, 8)}.`,
    http,
    stdout,
  });
}

export function ranges(...highs: number[]): PartitionRange[] {
  return highs.map((high, partition) => ({ partition, low: '0', high: String(high) }));
}

export function offsets(...committed: Array<number | null>): PartitionOffset[] {
  return committed.map((c, partition) => ({ partition, offset: c === null ? null : String(c) }));
}

export function group(groupId: string, state: GroupDescription['state'], members: Array<[string, string, number[]]>): GroupDescription {
  return {
    groupId,
    state,
    members: members.map(([memberId, topic, partitions]) => ({ memberId, clientId: 'c', host: '/127.0.0.1', assignment: [{ topic, partitions }] })),
  };
}

export interface SampleSpec {
  at: number;
  groups?: GroupDescription[];
  committed?: Record<string, Record<string, PartitionOffset[]>>;
  topics: Record<string, PartitionRange[]>;
}

export function sample(spec: SampleSpec): ClusterSample {
  return {
    at: spec.at,
    groups: new Map((spec.groups ?? []).map((g) => [g.groupId, g])),
    committed: new Map(Object.entries(spec.committed ?? {}).map(([g, topics]) => [g, new Map(Object.entries(topics))])),
    topics: new Map(Object.entries(spec.topics)),
  };
}
