import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTopology, mermaidId, renderGraph, type Topology } from '../../../src/topology/index.ts';

let clickstream: Topology;

beforeAll(async () => {
  clickstream = await loadTopology(path.resolve('topologies/clickstream/topology.yaml'), { env: {}, loadModules: false });
});

describe('renderGraph mermaid', () => {
  it('draws sources, stages with their processors, topics, sinks, windows and dead letters', async () => {
    const text = await renderGraph(clickstream, 'mermaid');
    const lines = text.split('\n');
    expect(lines[0]).toBe('flowchart LR');
    expect(lines).toContain(`  ${mermaidId('source-collect')}[/"file: clicks.ndjson"/]`);
    expect(lines).toContain(`  ${mermaidId('node-validate')}["<b>validate</b><br/>filter: user startsWith #quot;u-#quot;<br/>map: parse-click.ts"]`);
    expect(lines).toContain(`  ${mermaidId('node-views-per-page')}["<b>views-per-page</b><br/>window tumbling 1m: count by page"]`);
    expect(lines).toContain(`  ${mermaidId('topic-clicks.raw')}[("clicks.raw [3]")]`);
    expect(lines).toContain(`  ${mermaidId('node-validate')} -. dead-letter .-> ${mermaidId('topic-clicks.dlq')}`);
    expect(lines).toContain(`  ${mermaidId('node-route')} -->|"action == #quot;purchase#quot;"| ${mermaidId('topic-clicks.purchases')}`);
    expect(lines).toContain(`  ${mermaidId('node-route')} -->|"otherwise"| ${mermaidId('topic-clicks.browsing')}`);
    expect(lines).toContain(`  class ${mermaidId('node-views-per-page')} window`);
    expect(lines).toContain(`  class ${mermaidId('topic-clicks.dlq')} deadLetter`);
  });

  it('makes ids Mermaid accepts, distinct for names that differ only in punctuation', () => {
    expect(mermaidId('topic-a.b')).toMatch(/^[A-Za-z0-9_]+$/);
    expect(mermaidId('topic-a.b')).not.toBe(mermaidId('topic-a_b'));
  });
});

describe('renderGraph dot and svg', () => {
  it('gives every vertex and edge a stable id and class in DOT', async () => {
    const dot = await renderGraph(clickstream, 'dot');
    for (const v of clickstream.vertices) expect(dot).toContain(`"${v.id}" [id="${v.id}"`);
    for (const e of clickstream.edges) expect(dot).toContain(`[id="${e.id}", class="${e.kind}"`);
    expect(dot).toContain('class="topic dead-letter"');
    expect(dot).toContain('class="stage window"');
    expect(dot).toContain('filter: user startsWith &quot;u-&quot;');
    expect(await renderGraph(clickstream, 'dot')).toBe(dot);
  });

  it('renders SVG in which the status page can find nodes and edges by id', async () => {
    const svg = await renderGraph(clickstream, 'svg');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('<g id="node-validate" class="node stage">');
    expect(svg).toContain('<g id="topic-clicks.dlq" class="node topic dead-letter">');
    expect(svg).toContain('<g id="node-views-per-page" class="node stage window">');
    expect(svg).toContain('<g id="edge-node-validate--topic-clicks.dlq" class="edge dead-letter">');
    expect(svg).toContain('parse-click.ts');
  });
});
