import type { Topology } from '../model.ts';
import { renderDot } from './dot.ts';
import { renderMermaid } from './mermaid.ts';
import { sceneOf } from './scene.ts';
import { renderSvg } from './svg.ts';

export const graphFormats = ['mermaid', 'dot', 'svg'] as const;
export type GraphFormat = (typeof graphFormats)[number];

/** The topology as Mermaid, DOT or SVG text. */
export async function renderGraph(topology: Topology, format: GraphFormat): Promise<string> {
  const scene = sceneOf(topology);
  switch (format) {
    case 'mermaid':
      return renderMermaid(scene);
    case 'dot':
      return renderDot(scene);
    case 'svg':
      return renderSvg(renderDot(scene));
  }
}

export { renderDot } from './dot.ts';
export { renderMermaid, mermaidId } from './mermaid.ts';
export { renderSvg } from './svg.ts';
export { sceneOf, type Scene, type SceneVertex } from './scene.ts';
