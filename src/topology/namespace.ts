/**
 * Runs a topology under a prefix: every topic, consumer group and internal
 * topic gets `<prefix>` in front, so several copies of one topology (staging
 * next to production, or parallel tests on one broker) never share data.
 */
import type { NodeInput, NodeOutput, Topology, TopologyNode, TopicSpec } from './model.ts';

function renameInput(input: NodeInput, rename: (t: string) => string): NodeInput {
  return input.kind === 'topics' ? { ...input, topics: input.topics.map(rename) } : input;
}

function renameOutput(output: NodeOutput, rename: (t: string) => string): NodeOutput {
  if (output.kind === 'topic') return { ...output, topic: rename(output.topic) };
  if (output.kind === 'branch') return { ...output, routes: output.routes.map((r) => ({ ...r, to: rename(r.to) })) };
  return output;
}

export function namespaced(topology: Topology, prefix: string): Topology {
  if (prefix === '') return topology;
  const rename = (t: string) => `${prefix}${t}`;
  const topics: Record<string, TopicSpec> = {};
  for (const spec of Object.values(topology.topics)) topics[rename(spec.name)] = { ...spec, name: rename(spec.name) };
  const nodes: TopologyNode[] = topology.nodes.map((n) => ({
    ...n,
    input: renameInput(n.input, rename),
    output: renameOutput(n.output, rename),
    process: n.process.map((s) => (s.kind === 'join' ? { ...s, join: { ...s.join, table: rename(s.join.table) } } : s)),
    reads: n.reads.map(rename),
    writes: n.writes.map(rename),
    ...(n.deadLetter !== undefined ? { deadLetter: rename(n.deadLetter) } : {}),
    ...(n.join !== undefined ? { join: { ...n.join, stream: rename(n.join.stream) } } : {}),
  }));
  return { ...topology, name: `${prefix}${topology.name}`, topics, nodes };
}
