/** A plan of the word-count example and hand-made cluster samples for it (no broker). */
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Coordinator, planTopology, type ClusterSample, type HttpOptions, type TopologyPlan } from '../../../src/coordinator/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import type { GroupDescription, PartitionOffset, PartitionRange } from '../../../src/transport/index.ts';
import { readFile } from 'node:fs/promises';
import { loadTopology, type Topology } from '../../../src/topology/index.ts';

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

/** The example's text, and each word's count as counted here: lower-cased runs of letters and apostrophes. */
export async function wordCountText(): Promise<{ text: string; counts: Map<string, number>; total: number }> {
  const text = await readFile(new URL('../../../topologies/word-count/data/text.txt', import.meta.url), 'utf8');
  const counts = new Map<string, number>();
  for (const word of text.toLowerCase().match(/[\p{L}']+/gu) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
  return { text, counts, total: [...counts.values()].reduce((a, b) => a + b, 0) };
}

/** The example with `read` on stdin: the same words, but the input ends only when the test ends it. */
function fromStdin(topology: Topology): Topology {
  return {
    ...topology,
    nodes: topology.nodes.map((n) => {
      if (n.id !== 'read' || n.input.kind !== 'file') return n;
      const { path: _file, ...encoding } = n.input;
      return { ...n, input: { ...encoding, kind: 'stdin' as const } };
    }),
  };
}

/**
 * The word-count example on the embedded transport, fed the example's text
 * through stdin, which stays open: the run and its stores stay up (until
 * `end()`) for interactive queries. Resolves once the count stage has read
 * every word.
 */
export async function startWordCountOnStdin(http: HttpOptions): Promise<{ coordinator: Coordinator; end(): Promise<void> }> {
  const { text, total } = await wordCountText();
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  stdout.resume();
  const coordinator = await Coordinator.start({
    topology: fromStdin(await loadTopology(wordCountFile)),
    logger: silentLogger,
    namespace: `q${randomUUID().slice(0, 8)}.`,
    http,
    stdin,
    stdout,
  });
  const end = async () => {
    stdin.end();
    coordinator.stop();
    await coordinator.done;
    await coordinator.close();
  };
  stdin.write(text);
  const deadline = Date.now() + 20_000;
  while ((coordinator.status?.stages.find((s) => s.stage === 'count')?.local?.read ?? 0) < total) {
    if (Date.now() > deadline) {
      await end();
      throw new Error('the count stage did not read every word in time');
    }
    await coordinator.refresh();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { coordinator, end };
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
