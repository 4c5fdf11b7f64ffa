import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphFormatFor } from '../../../src/cli/commands/graph.ts';
import { Workspace } from '../topology/helpers.ts';
import { runCli } from './cli-harness.ts';

const clickstream = 'topologies/clickstream/topology.yaml';
let ws: Workspace;

beforeAll(async () => {
  ws = await Workspace.create();
});

afterAll(async () => {
  await ws.remove();
});

describe('graphFormatFor', () => {
  it('takes --format first, then the extension of --out, else mermaid', () => {
    expect(graphFormatFor(undefined, undefined)).toBe('mermaid');
    expect(graphFormatFor(undefined, 'g.svg')).toBe('svg');
    expect(graphFormatFor(undefined, 'g.gv')).toBe('dot');
    expect(graphFormatFor(undefined, 'g.mmd')).toBe('mermaid');
    expect(graphFormatFor('dot', 'g.svg')).toBe('dot');
    expect(() => graphFormatFor('png', undefined)).toThrow(expect.objectContaining({ code: 'SLUICE_ERR_CLI_USAGE' }));
    expect(() => graphFormatFor(undefined, 'g.png')).toThrow(/cannot tell the format/);
  });
});

describe('sluice graph', () => {
  it('prints Mermaid by default', async () => {
    const r = await runCli('graph', clickstream);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith('flowchart LR\n')).toBe(true);
    expect(r.stdout).toContain('-. dead-letter .->');
  });

  it('prints DOT with --format dot', async () => {
    const r = await runCli('graph', clickstream, '--format', 'dot');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^digraph "clickstream" \{/);
    expect(r.stdout).toContain('"node-validate" [id="node-validate"');
  });

  it('writes SVG to --out, choosing the format from the extension', async () => {
    const out = path.join(ws.dir, 'nested', 'graph.svg');
    const r = await runCli('graph', clickstream, '--out', out);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`wrote ${out} (svg)`);
    const svg = await readFile(out, 'utf8');
    expect(svg).toContain('<g id="node-views-per-page" class="node stage window">');
    expect(r.stdout).toBe('');
  });

  it('draws every example', async () => {
    for (const name of ['seed-dataflow', 'seed-workflow', 'user-events', 'word-count']) {
      const r = await runCli('graph', `topologies/${name}/topology.yaml`, '--format', 'svg');
      expect(r.code, name).toBe(0);
      expect(r.stdout).toContain('</svg>');
    }
  });

  it('refuses an invalid topology with its problems and exit code 2', async () => {
    const file = await ws.write('loop.yaml', 'name: loop\nnodes:\n  a:\n    from: t\n    to: t\n');
    const r = await runCli('graph', file);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${file}:3:3: error SLUICE_ERR_TOPOLOGY_CYCLE: node \`a\` reads a topic it writes itself, a cycle`);
  });

  it('refuses an unknown format with a usage error', async () => {
    const r = await runCli('graph', clickstream, '--format', 'png');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown graph format "png"');
  });
});
