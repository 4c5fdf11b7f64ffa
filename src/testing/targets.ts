/**
 * What the names of a case may be: under `input`, a topic or a node whose
 * source is a file or stdin; under `expect`, a topic or a node whose sink is
 * a file or stdout; under `expect-dead-letters`, a node or its dead-letter
 * topic. Checked against the topology before any case runs, so a typo is a bad
 * test file (exit 2, file:line:col), not a failing case.
 */
import type { NodeOutput, PathSegment, Topology, TopologyNode } from '../topology/index.ts';
import { deadLetterTopicOf } from '../runtime/index.ts';
import type { TestCaseSpec } from './test-file.ts';

export function isInputNode(node: TopologyNode): boolean {
  return node.input.kind === 'file' || node.input.kind === 'stdin';
}

/** A node whose sink writes lines: a file or stdout. */
export type SinkNode = TopologyNode & { readonly output: Extract<NodeOutput, { kind: 'file' | 'stdout' }> };

export function isSinkNode(node: TopologyNode): node is SinkNode {
  return node.output.kind === 'file' || node.output.kind === 'stdout';
}

/** The dead-letter topic a name under expect-dead-letters means: itself, or the dead-letter topic of the node it names. */
export function deadLetterTopicNamed(topology: Topology, name: string): string | undefined {
  const node = topology.nodes.find((n) => n.id === name);
  if (node !== undefined) return deadLetterTopicOf(topology, node);
  return topology.nodes.some((n) => deadLetterTopicOf(topology, n) === name) ? name : undefined;
}

export interface TargetProblem {
  path: PathSegment[];
  message: string;
}

/** The ids of `nodes`, to name the ones a name could have meant. */
export function nodeIds(nodes: readonly TopologyNode[]): string {
  return nodes.length === 0 ? 'none' : nodes.map((n) => n.id).join(', ');
}

/** Every name of case `index` that the topology does not have, with its path in the test file. */
export function checkTargets(topology: Topology, spec: TestCaseSpec, index: number): TargetProblem[] {
  const problems: TargetProblem[] = [];
  const node = (id: string) => topology.nodes.find((n) => n.id === id);
  const topics = Object.keys(topology.topics).join(', ');
  for (const name of Object.keys(spec.input)) {
    const n = node(name);
    if (topology.topics[name] === undefined && (n === undefined || !isInputNode(n))) {
      problems.push({ path: ['tests', index, 'input', name], message: `\`${name}\` is neither a topic of ${topology.name} (${topics}) nor a node with a file or stdin source (${nodeIds(topology.nodes.filter(isInputNode))})` });
    }
  }
  for (const name of Object.keys(spec.expect)) {
    const n = node(name);
    if (topology.topics[name] === undefined && (n === undefined || !isSinkNode(n))) {
      problems.push({ path: ['tests', index, 'expect', name], message: `\`${name}\` is neither a topic of ${topology.name} (${topics}) nor a node with a file or stdout sink (${nodeIds(topology.nodes.filter(isSinkNode))})` });
    }
  }
  for (const name of Object.keys(spec.expectDeadLetters)) {
    if (deadLetterTopicNamed(topology, name) === undefined) {
      problems.push({ path: ['tests', index, 'expect-dead-letters', name], message: `\`${name}\` is neither a node of ${topology.name} nor a dead-letter topic of one` });
    }
  }
  const stdin = Object.keys(spec.input).filter((name) => node(name)?.input.kind === 'stdin');
  if (stdin.length > 1) problems.push({ path: ['tests', index, 'input'], message: `one case can give input to one stdin node, not ${stdin.join(' and ')}` });
  return problems;
}
