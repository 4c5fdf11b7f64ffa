/**
 * The graph a topology describes, and the checks on it. Pure functions over
 * nodes and topics: stages connect only through topics, so node A feeds node
 * B when A writes (or dead-letters to) a topic B reads.
 */
import { ErrorCodes } from '../core/index.ts';
import { describePredicate, joinLabel, type JoinSpec } from '../processors/index.ts';
import type { Edge, EdgeKind, TopicSpec, TopologyNode, Vertex } from './model.ts';
import type { Finding, PathSegment } from './problems.ts';
import { didYouMean } from './suggest.ts';

export type GraphProblem = Finding;

/** The parts of a node the graph checks read. */
export type GraphNode = Pick<TopologyNode, 'id' | 'input' | 'output' | 'reads' | 'writes' | 'deadLetter'> & Partial<Pick<TopologyNode, 'join' | 'process'>>;
export type GraphTopic = Pick<TopicSpec, 'name' | 'declared'>;

const listIds = (ids: Iterable<string>): string => [...ids].map((id) => `\`${id}\``).join(', ');

function writersOf(nodes: readonly GraphNode[]): Map<string, string[]> {
  const writers = new Map<string, string[]>();
  for (const n of nodes) {
    const out = n.deadLetter === undefined ? n.writes : [...n.writes, n.deadLetter];
    for (const t of out) writers.set(t, [...(writers.get(t) ?? []), n.id]);
  }
  return writers;
}

/** Node ids downstream of each node. */
function successors(nodes: readonly GraphNode[]): Map<string, string[]> {
  const readers = new Map<string, string[]>();
  for (const n of nodes) for (const t of n.reads) readers.set(t, [...(readers.get(t) ?? []), n.id]);
  const next = new Map<string, string[]>();
  for (const n of nodes) {
    const out = n.deadLetter === undefined ? n.writes : [...n.writes, n.deadLetter];
    next.set(n.id, [...new Set(out.flatMap((t) => readers.get(t) ?? []))]);
  }
  return next;
}

/** The join of node `n` that reads `topic` as its other side (a stream join's stream, a table), which labels the edge. */
function joinReading(n: GraphNode, topic: string): JoinSpec | undefined {
  if (n.join?.stream === topic) return n.join;
  for (const s of n.process ?? []) if (s.kind === 'join' && s.join.table === topic) return s.join;
  return undefined;
}

function fromPath(n: GraphNode, topic: string): PathSegment[] {
  if (n.join?.stream === topic) return ['nodes', n.id, 'join', 'stream'];
  const written = n.input.kind === 'topics' ? n.input.topics.filter((t) => t !== n.join?.stream) : [];
  return written.length > 1
    ? ['nodes', n.id, 'from', written.indexOf(topic)]
    : ['nodes', n.id, 'from'];
}

export function checkDuplicateIds(nodes: readonly Pick<GraphNode, 'id'>[]): GraphProblem[] {
  const seen = new Set<string>();
  const problems: GraphProblem[] = [];
  for (const n of nodes) {
    if (seen.has(n.id)) {
      problems.push({ code: ErrorCodes.TOPOLOGY_DUPLICATE, path: ['nodes', n.id], atKey: true, message: `duplicate node id \`${n.id}\``, hint: 'each node needs its own id' });
    }
    seen.add(n.id);
  }
  return problems;
}

/** Topics read that no node writes and `topics` does not declare (so nothing would ever arrive). */
export function checkUnknownTopics(nodes: readonly GraphNode[], topics: readonly GraphTopic[]): GraphProblem[] {
  const writers = writersOf(nodes);
  const declared = new Set(topics.filter((t) => t.declared).map((t) => t.name));
  const known = new Set([...declared, ...writers.keys()]);
  const problems: GraphProblem[] = [];
  for (const n of nodes) {
    for (const t of n.reads) {
      if (known.has(t)) continue;
      const suggestion = didYouMean(t, known);
      problems.push({
        code: ErrorCodes.TOPOLOGY_TOPIC_UNKNOWN,
        path: fromPath(n, t),
        message: `node \`${n.id}\` reads topic \`${t}\`, which no node writes and \`topics\` does not declare${suggestion ? `; ${suggestion}` : ''}`,
        ...(suggestion ? {} : { hint: 'declare it under `topics:` if another application produces it' }),
      });
    }
  }
  return problems;
}

/** Strongly connected components (Tarjan, iterative so a long chain cannot overflow the stack). */
function components(ids: readonly string[], next: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  let counter = 0;
  for (const start of ids) {
    if (index.has(start)) continue;
    const work: Array<[string, number]> = [[start, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1] as [string, number];
      const [v, i] = frame;
      if (i === 0) {
        index.set(v, counter);
        low.set(v, counter++);
        stack.push(v);
        onStack.add(v);
      }
      const succ = next.get(v) ?? [];
      if (i < succ.length) {
        frame[1] = i + 1;
        const w = succ[i] as string;
        if (!index.has(w)) work.push([w, 0]);
        else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent[0], Math.min(low.get(parent[0]) as number, low.get(v) as number));
      if (low.get(v) === index.get(v)) {
        const comp: string[] = [];
        let w: string;
        do {
          w = stack.pop() as string;
          onStack.delete(w);
          comp.push(w);
        } while (w !== v);
        out.push(comp);
      }
    }
  }
  return out;
}

/** A shortest path from `start` back to itself inside `members`, as node ids. */
function cycleThrough(start: string, members: ReadonlySet<string>, next: Map<string, string[]>): string[] {
  const parent = new Map<string, string>();
  const queue = [start];
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q] as string;
    for (const w of next.get(v) ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let p = v; p !== start; ) path.push((p = parent.get(p) as string));
        return [...path.reverse(), start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}

export function checkCycles(nodes: readonly GraphNode[]): GraphProblem[] {
  const next = successors(nodes);
  const order = nodes.map((n) => n.id);
  const problems: GraphProblem[] = [];
  for (const comp of components(order, next)) {
    const members = new Set(comp);
    const selfLoop = comp.length === 1 && (next.get(comp[0] as string) ?? []).includes(comp[0] as string);
    if (comp.length === 1 && !selfLoop) continue;
    const first = order.find((id) => members.has(id)) as string;
    const cycle = cycleThrough(first, members, next);
    problems.push({
      code: ErrorCodes.TOPOLOGY_CYCLE,
      path: ['nodes', first],
      atKey: true,
      message:
        cycle.length === 2
          ? `node \`${first}\` reads a topic it writes itself, a cycle`
          : `nodes ${cycle.map((id) => `\`${id}\``).join(' → ')} form a cycle`,
      hint: 'records would circulate forever; write to a different topic to break the loop',
    });
  }
  return problems;
}

/**
 * Nodes no record can reach: not a source, and every input is written only by
 * nodes that are themselves unreachable (a cycle with no way in, say). Topics
 * that are declared but written by no node are external inputs.
 */
export function checkReachable(nodes: readonly GraphNode[], topics: readonly GraphTopic[]): GraphProblem[] {
  const writers = writersOf(nodes);
  const declared = new Set(topics.filter((t) => t.declared).map((t) => t.name));
  const next = successors(nodes);
  const reached = new Set<string>();
  const queue: string[] = [];
  for (const n of nodes) {
    const external = n.reads.some((t) => declared.has(t) && !writers.has(t));
    if (n.input.kind !== 'topics' || external) {
      reached.add(n.id);
      queue.push(n.id);
    }
  }
  for (let q = 0; q < queue.length; q++) {
    for (const w of next.get(queue[q] as string) ?? []) {
      if (!reached.has(w)) {
        reached.add(w);
        queue.push(w);
      }
    }
  }
  const problems: GraphProblem[] = [];
  for (const n of nodes) {
    if (reached.has(n.id)) continue;
    // A node reading a topic nobody writes is already reported as reading an unknown topic.
    if (n.reads.some((t) => !writers.has(t) && !declared.has(t))) continue;
    const feeders = [...new Set(n.reads.flatMap((t) => writers.get(t) ?? []))];
    problems.push({
      code: ErrorCodes.TOPOLOGY_UNREACHABLE,
      path: ['nodes', n.id],
      atKey: true,
      message: `node \`${n.id}\` is unreachable from any source: its input comes only from ${listIds(feeders)}, which no source feeds`,
      hint: 'give the graph a way in: a node with a `source:`, or a declared topic that another application produces',
    });
  }
  return problems;
}

/** Kafka metric names turn `.` into `_`, so `a.b` and `a_b` collide there. */
export function checkTopicCollisions(topics: readonly GraphTopic[]): GraphProblem[] {
  const byMetricName = new Map<string, string>();
  const problems: GraphProblem[] = [];
  for (const t of topics) {
    const metric = t.name.replaceAll('.', '_');
    const other = byMetricName.get(metric);
    if (other !== undefined && other !== t.name) {
      problems.push({
        code: ErrorCodes.TOPOLOGY_INVALID,
        path: ['topics', t.name],
        atKey: true,
        warning: true,
        message: `topics \`${other}\` and \`${t.name}\` differ only in \`.\` and \`_\`, which collide in Kafka's metric names`,
      });
    }
    byMetricName.set(metric, t.name);
  }
  return problems;
}

export function checkGraph(nodes: readonly GraphNode[], topics: readonly GraphTopic[]): GraphProblem[] {
  return [
    ...checkDuplicateIds(nodes),
    ...checkUnknownTopics(nodes, topics),
    ...checkCycles(nodes),
    ...checkReachable(nodes, topics),
    ...checkTopicCollisions(topics),
  ];
}

export const vertexId = {
  stage: (id: string): string => `node-${id}`,
  topic: (name: string): string => `topic-${name}`,
  source: (id: string): string => `source-${id}`,
  sink: (id: string): string => `sink-${id}`,
} as const;

/** Vertices and edges for pictures and status pages, in file order, with stable ids. */
export function logicalGraph(nodes: readonly GraphNode[], topics: readonly GraphTopic[]): { vertices: Vertex[]; edges: Edge[] } {
  const vertices: Vertex[] = [];
  const edges = new Map<string, Edge>();
  const edge = (from: string, to: string, kind: EdgeKind, label?: string): void => {
    const id = `edge-${from}--${to}`;
    const prior = edges.get(id);
    const merged = prior?.label !== undefined && label !== undefined ? `${prior.label} | ${label}` : (label ?? prior?.label);
    edges.set(id, { id, from, to, kind: prior?.kind ?? kind, ...(merged !== undefined ? { label: merged } : {}) });
  };
  for (const n of nodes) {
    const stage = vertexId.stage(n.id);
    if (n.input.kind !== 'topics') {
      vertices.push({ id: vertexId.source(n.id), kind: 'source', name: n.input.kind });
      edge(vertexId.source(n.id), stage, 'read');
    }
    vertices.push({ id: stage, kind: 'stage', name: n.id });
    if (n.output.kind === 'file' || n.output.kind === 'stdout') {
      vertices.push({ id: vertexId.sink(n.id), kind: 'sink', name: n.output.kind });
      edge(stage, vertexId.sink(n.id), 'write');
    }
  }
  for (const t of topics) vertices.push({ id: vertexId.topic(t.name), kind: 'topic', name: t.name });
  for (const n of nodes) {
    const stage = vertexId.stage(n.id);
    for (const t of n.reads) {
      const join = joinReading(n, t);
      edge(vertexId.topic(t), stage, 'read', join === undefined ? undefined : joinLabel(join));
    }
    if (n.output.kind === 'topic') edge(stage, vertexId.topic(n.output.topic), 'write');
    if (n.output.kind === 'branch') {
      for (const r of n.output.routes) edge(stage, vertexId.topic(r.to), 'write', r.when ? describePredicate(r.when) : 'otherwise');
    }
    if (n.deadLetter !== undefined) edge(stage, vertexId.topic(n.deadLetter), 'dead-letter');
  }
  return { vertices, edges: [...edges.values()] };
}
