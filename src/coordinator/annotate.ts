/**
 * Live figures for the status page, keyed by the ids `sluice graph` gives the
 * SVG's elements: `node-<id>` (state, lag), `topic-<name>` (records, rate)
 * and `edge-<from>--<to>` (the lag on a read edge, the rate on a write edge
 * or on the edge from a file or generator source). The graph is drawn from the topology as written, so namespaced topic
 * names are mapped back, and a window split in two is shown as its one node.
 */
import type { TopologyPlan } from './plan.ts';
import type { StageStatus, StatusSnapshot } from './status.ts';

export interface Annotation {
  /** An element id in the SVG. */
  id: string;
  /** Short lines, drawn under a node or above an edge. */
  lines: string[];
  /** For nodes: running, idle, failed, lagging, ... (the page colours by it). */
  state?: string;
}

function rate(value: number | null): string {
  if (value === null) return '–/s';
  return value >= 100 ? `${Math.round(value)}/s` : `${value.toFixed(1)}/s`;
}

function stageState(stages: readonly StageStatus[]): string {
  const local = stages.map((s) => s.local?.state).filter((s): s is string => s !== undefined);
  if (local.includes('failed')) return 'failed';
  if (local.length > 0) return local[0]!;
  const group = stages.map((s) => s.groupState).find((s) => s !== null);
  return group ?? 'unwatched';
}

export function annotationsOf(plan: TopologyPlan, snapshot: StatusSnapshot): Annotation[] {
  const original = (topic: string) => (plan.namespace !== '' && topic.startsWith(plan.namespace) ? topic.slice(plan.namespace.length) : topic);
  const out: Annotation[] = [];
  const byVertex = new Map<string, StageStatus[]>();
  for (const stage of snapshot.stages) byVertex.set(stage.vertex, [...(byVertex.get(stage.vertex) ?? []), stage]);

  for (const [vertex, stages] of byVertex) {
    const lagged = stages.filter((s) => s.lag !== null);
    const lag = lagged.reduce((n, s) => n + (s.lag ?? 0), 0);
    const first = stages[0]!;
    const last = stages[stages.length - 1]!;
    const state = stageState(stages);
    out.push({ id: vertex, lines: lagged.length > 0 ? [state, `lag ${lag}`] : [state], state });

    // Read edges carry the lag of the stage that reads them (the first half of a split window), write edges the rate.
    const plans = plan.stages.filter((p) => p.vertex === vertex);
    const inputs = plans[0]?.inputs ?? [];
    for (const topic of inputs) {
      const topicLag = first.partitions.filter((p) => p.topic === topic).reduce((n, p) => n + p.lag, 0);
      out.push({ id: `edge-topic-${original(topic)}--${vertex}`, lines: [`lag ${topicLag}`] });
    }
    if (inputs.length === 0) out.push({ id: `edge-source-${vertex.slice('node-'.length)}--${vertex}`, lines: [rate(first.inputRate)] });
    for (const topic of plans[plans.length - 1]?.outputs ?? []) {
      out.push({ id: `edge-${vertex}--topic-${original(topic)}`, lines: [rate(last.outputRate)] });
    }
  }
  for (const topic of snapshot.topics) {
    out.push({ id: `topic-${original(topic.topic)}`, lines: [`${topic.end} rec`, rate(topic.rate)] });
  }
  return out;
}
