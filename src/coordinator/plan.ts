/**
 * What the coordinator schedules and watches, derived once from the topology:
 * one entry per stage (a window node needing a repartition is two stages),
 * with its consumer group, the topics it reads and writes, its dead-letter
 * topic, its trigger and how many instances it runs, under the run's
 * namespace. Pure: the same plan serves a running coordinator and
 * `sluice status` on a machine that runs nothing.
 */
import { ErrorCodes, SluiceError } from '../core/index.ts';
import { deadLetterTopicOf, groupIdOf } from '../runtime/index.ts';
import { physicalTopology, type Topology, type TopologyNode, type Trigger } from '../topology/index.ts';

export interface StagePlan {
  /** The stage's node id (`<node>.window` for the second half of a split window). */
  stage: string;
  /** The node's vertex id in the topology graph (`node-<id>` of the node as written). */
  vertex: string;
  node: TopologyNode;
  /** The consumer group, for stages that read topics. */
  group?: string;
  inputs: string[];
  outputs: string[];
  deadLetter: string;
  trigger: Trigger;
  instances: number;
}

export interface TopologyPlan {
  /** The topology as run: namespaced, windows split around repartition topics. */
  topology: Topology;
  /** The topology as written, whose graph the status page draws. */
  source: Topology;
  namespace: string;
  stages: StagePlan[];
}

export interface PlanOptions {
  namespace?: string;
  /** `--instances node=N` overrides, by node id as written. */
  instances?: Readonly<Record<string, number>>;
}

function originalId(stage: string, source: Topology): string {
  if (source.nodes.some((n) => n.id === stage)) return stage;
  return stage.replace(/\.window$/, '');
}

export function planTopology(source: Topology, options: PlanOptions = {}): TopologyPlan {
  const namespace = options.namespace ?? '';
  const overrides = options.instances ?? {};
  const known = new Set(source.nodes.map((n) => n.id));
  const unknown = Object.keys(overrides).filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new SluiceError(ErrorCodes.CLI_USAGE, `--instances names no node of ${source.name}: ${unknown.join(', ')}; nodes: ${[...known].join(', ')}`);
  }
  const topology = physicalTopology(source, namespace);
  const stages = topology.nodes.map((node): StagePlan => {
    const id = originalId(node.id, source);
    return {
      stage: node.id,
      vertex: `node-${id}`,
      node,
      ...(node.input.kind === 'topics' ? { group: groupIdOf(topology, node) } : {}),
      inputs: node.input.kind === 'topics' ? [...node.input.topics] : [],
      outputs: [...node.writes],
      deadLetter: deadLetterTopicOf(topology, node),
      trigger: node.trigger,
      // Copies of a file, stdin, generator or http source would each read (or bind) the whole input.
      instances: node.input.kind === 'topics' ? (overrides[id] ?? node.instances) : 1,
    };
  });
  return { topology, source, namespace, stages };
}

/** Every topic the plan's stages read, write or dead-letter to. */
export function topicsOf(plan: TopologyPlan): string[] {
  const topics = new Set<string>(Object.keys(plan.topology.topics));
  for (const s of plan.stages) {
    for (const t of [...s.inputs, ...s.outputs, s.deadLetter]) topics.add(t);
  }
  return [...topics].sort();
}

/** Instances beyond a stage's input partitions sit idle: worth a warning, not a refusal. */
export function scheduleWarnings(plan: TopologyPlan): string[] {
  const warnings: string[] = [];
  for (const s of plan.stages) {
    if (s.inputs.length === 0) {
      const asked = s.node.instances;
      if (asked > 1) warnings.push(`stage ${s.stage}: a ${s.node.input.kind} source runs as 1 instance (${asked} asked); only topic inputs are shared by a group`);
      continue;
    }
    const partitions = Math.max(...s.inputs.map((t) => plan.topology.topics[t]?.partitions ?? 1));
    if (s.instances > partitions) {
      warnings.push(`stage ${s.stage}: ${s.instances} instances but its input has ${partitions} partition(s); ${s.instances - partitions} will sit idle`);
    }
  }
  return warnings;
}

/** `a=2,b=3` → { a: 2, b: 3 }. */
export function parseInstances(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([^=\s]+)=(\d+)$/.exec(part);
    const n = match ? Number(match[2]) : NaN;
    if (!match || !Number.isSafeInteger(n) || n < 1 || n > 1_024) {
      throw new SluiceError(ErrorCodes.CLI_USAGE, `--instances takes node=N pairs (N from 1 to 1024), comma-separated; got \`${part}\``);
    }
    out[match[1]!] = n;
  }
  return out;
}
