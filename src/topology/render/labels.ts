/** Short text for what each vertex of the picture stands for; shared by every renderer. */
import path from 'node:path';
import { describePredicate, formatDuration, type Step, type WindowedAggregate } from '../../processors/index.ts';
import type { NodeInput, NodeOutput, Topology, TopologyNode } from '../model.ts';

export function describeStep(step: Step): string {
  switch (step.kind) {
    case 'filter':
      return `filter: ${describePredicate(step.predicate)}`;
    case 'map': {
      const parts: string[] = [];
      if (step.pick) parts.push(`pick ${step.pick.join(', ')}`);
      if (step.drop) parts.push(`drop ${step.drop.join(', ')}`);
      if (step.rename) parts.push(`rename ${Object.entries(step.rename).map(([a, b]) => `${a}→${b}`).join(', ')}`);
      if (step.set) parts.push(`set ${Object.keys(step.set).join(', ')}`);
      return `map: ${parts.join('; ')}`;
    }
    case 'flatMap':
      return `flatMap: ${step.field}${step.as ? ` as ${step.as}` : ''}`;
    case 'key':
      return `key: ${step.field}`;
    case 'join':
      return `join ${step.join.kind}: ${step.join.table} on ${step.join.on} as ${step.join.as}`;
    case 'module':
      return `map: ${path.basename(step.module)}${step.export === 'default' ? '' : `#${step.export}`}`;
  }
}

export function describeWindow(w: WindowedAggregate): string {
  const kind =
    w.window.kind === 'tumbling' ? `tumbling ${formatDuration(w.window.sizeMs)}`
    : w.window.kind === 'hopping' ? `hopping ${formatDuration(w.window.sizeMs)} every ${formatDuration(w.window.advanceMs)}`
    : 'global';
  const agg =
    w.aggregate.kind === 'module' ? path.basename(w.aggregate.module)
    : w.aggregate.kind === 'count' ? 'count'
    : `${w.aggregate.kind}(${w.aggregate.field})`;
  return `window ${kind}: ${agg} by ${w.key ?? 'key'}`;
}

/** The stage's lines: id first, then each step, then the window. */
export function stageLines(n: TopologyNode): { title: string; steps: string[]; window?: string } {
  return {
    title: n.instances > 1 ? `${n.id} ×${n.instances}` : n.id,
    // A join runs before the steps; its other side's edge says how (graph.ts).
    steps: [...(n.join !== undefined ? [`join ${n.join.kind}: ${n.join.stream} as ${n.join.as}`] : []), ...n.process.map(describeStep)],
    ...(n.window !== undefined ? { window: describeWindow(n.window) } : {}),
  };
}

export function describeSource(input: Exclude<NodeInput, { kind: 'topics' }>): string {
  switch (input.kind) {
    case 'file': return `file: ${path.basename(input.path)}`;
    case 'stdin': return 'stdin';
    case 'generator': return `generator: ${input.schema}${input.ratePerSecond !== undefined ? ` ${input.ratePerSecond}/s` : ''}`;
    case 'http': return `http: :${input.port}${input.path}`;
  }
}

export function describeSink(output: Extract<NodeOutput, { kind: 'file' | 'stdout' }>): string {
  const codec = output.codec !== undefined ? ` (${output.codec})` : '';
  return output.kind === 'file' ? `file: ${path.basename(output.path)}${codec}` : `stdout${codec}`;
}

export function describeTopic(t: Topology['topics'][string]): string {
  return t.partitions > 1 ? `${t.name} [${t.partitions}]` : t.name;
}
