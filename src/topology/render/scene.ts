/**
 * What a picture of a topology shows, independent of the drawing language:
 * each vertex with its CSS classes and text lines, each edge with its kind.
 * The ids are the Topology's vertex and edge ids, so they are the same in
 * every format and stable across runs.
 */
import type { Edge, Topology, VertexKind } from '../model.ts';
import { describeSink, describeSource, describeTopic, stageLines } from './labels.ts';

export interface SceneVertex {
  id: string;
  kind: VertexKind;
  /** `stage`, `topic`, `source`, `sink`, plus `window` and `dead-letter` where they apply. */
  classes: string[];
  title: string;
  /** Processors inside a stage, one line each. */
  lines: string[];
  window?: string;
}

export interface Scene {
  name: string;
  vertices: SceneVertex[];
  edges: readonly Edge[];
}

export function sceneOf(t: Topology): Scene {
  const nodes = new Map(t.nodes.map((n) => [n.id, n]));
  const vertices = t.vertices.map((v): SceneVertex => {
    switch (v.kind) {
      case 'stage': {
        const n = nodes.get(v.name);
        if (n === undefined) return { id: v.id, kind: v.kind, classes: ['stage'], title: v.name, lines: [] };
        const { title, steps, window } = stageLines(n);
        return {
          id: v.id,
          kind: v.kind,
          classes: window !== undefined ? ['stage', 'window'] : ['stage'],
          title,
          lines: steps,
          ...(window !== undefined ? { window } : {}),
        };
      }
      case 'topic': {
        const topic = t.topics[v.name];
        const dead = topic?.deadLetter === true;
        return { id: v.id, kind: v.kind, classes: dead ? ['topic', 'dead-letter'] : ['topic'], title: topic ? describeTopic(topic) : v.name, lines: [] };
      }
      case 'source': {
        const n = nodes.get(v.id.slice('source-'.length));
        const title = n && n.input.kind !== 'topics' ? describeSource(n.input) : v.name;
        return { id: v.id, kind: v.kind, classes: ['source'], title, lines: [] };
      }
      case 'sink': {
        const n = nodes.get(v.id.slice('sink-'.length));
        const title = n && (n.output.kind === 'file' || n.output.kind === 'stdout') ? describeSink(n.output) : v.name;
        return { id: v.id, kind: v.kind, classes: ['sink'], title, lines: [] };
      }
    }
  });
  return { name: t.name, vertices, edges: t.edges };
}
