import { link, symlink } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pathClashes, type PathUse } from '../../../src/topology/overlap.ts';
import { runCli } from '../cli/cli-harness.ts';
import { summary, Workspace } from './helpers.ts';

const read = (path: string, role: string, identity?: string): PathUse => ({ path, role, sink: false, ...(identity ? { identity } : {}) });
const sink = (path: string, node: string, identity?: string): PathUse => ({
  path,
  role: `the output file of node \`${node}\``,
  sink: true,
  at: ['nodes', node, 'sink', 'file'],
  ...(identity ? { identity } : {}),
});

describe('pathClashes', () => {
  it('finds a sink on a file read, by path or by device:inode, and a second sink on one file', () => {
    const uses = [
      read('/t/topology.yaml', 'the topology file itself', '1:10'),
      read('/t/in.ndjson', 'the input file of node `a`', '1:11'),
      sink('/t/hard-link-to-in.ndjson', 'a', '1:11'),
      sink('/t/topology.yaml', 'b', '1:10'),
      sink('/t/out.ndjson', 'c'),
      sink('/t/out.ndjson', 'd'),
      sink('/t/other.ndjson', 'e'),
    ];
    expect(pathClashes(uses).map((c) => `${String(c.sink.at[1])} × ${c.other.role}`)).toEqual([
      'a × the input file of node `a`',
      'b × the topology file itself',
      'd × the output file of node `c`',
    ]);
  });

  it('finds nothing when every sink has a file of its own', () => {
    expect(pathClashes([read('/t/in.ndjson', 'in', '1:1'), sink('/t/out.ndjson', 'a', '1:2'), sink('/t/out2.ndjson', 'b')])).toEqual([]);
  });
});

describe('sluice validate refuses a sink on a file the topology reads', () => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await Workspace.create();
    await ws.write('data/in.ndjson', '{"n":1}\n');
    await ws.write('keys.json', '{}');
    await ws.write('schemas/s.avsc', '{"type":"record","name":"S","fields":[{"name":"n","type":"int"}]}');
    await symlink('in.ndjson', `${ws.dir}/data/via-link.ndjson`);
    await link(`${ws.dir}/data/in.ndjson`, `${ws.dir}/data/hard.ndjson`);
  });
  afterAll(async () => ws.remove());

  it('points at each clashing sink file: with file:line:col, exit 2', async () => {
    const file = await ws.write(
      'topology.yaml',
      `name: t
schemas:
  S: ./schemas/s.avsc
nodes:
  copy:
    source: { file: ./data/in.ndjson, schema: S }
    sink: { file: ./data/via-link.ndjson }
  hard:
    source: { stdin: true }
    sink: { file: ./data/hard.ndjson }
  self:
    source: { stdin: true }
    sink: { file: ./topology.yaml, format: ndjson }
  schema:
    source: { stdin: true }
    sink: { file: ./schemas/s.avsc, format: ndjson }
  keys:
    source: { stdin: true }
    sink: { file: ./keys.json, format: ndjson }
`,
    );
    const r = await runCli('validate', '--key-file', `${ws.dir}/keys.json`, file);
    expect(r.code).toBe(2);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.includes('SLUICE_ERR_TOPOLOGY_PATH_CONFLICT')).map((l) => l.replace(ws.dir, 'WS').replace(/ \(give.*$/, ''))).toEqual([
      `WS/topology.yaml:7:19: error SLUICE_ERR_TOPOLOGY_PATH_CONFLICT: node \`copy\` writes ${ws.dir}/data/in.ndjson, which is also the input file of node \`copy\`: the run would write into a file it reads`,
      `WS/topology.yaml:10:19: error SLUICE_ERR_TOPOLOGY_PATH_CONFLICT: node \`hard\` writes ${ws.dir}/data/hard.ndjson, which is also the input file of node \`copy\`: the run would write into a file it reads`,
      `WS/topology.yaml:10:19: error SLUICE_ERR_TOPOLOGY_PATH_CONFLICT: node \`hard\` writes ${ws.dir}/data/hard.ndjson, which is also the output file of node \`copy\`: their records would interleave in one file`,
      `WS/topology.yaml:13:19: error SLUICE_ERR_TOPOLOGY_PATH_CONFLICT: node \`self\` writes ${ws.dir}/topology.yaml, which is also the topology file itself: the run would write into a file it reads`,
      `WS/topology.yaml:16:19: error SLUICE_ERR_TOPOLOGY_PATH_CONFLICT: node \`schema\` writes ${ws.dir}/schemas/s.avsc, which is also the file of schema \`S\`: the run would write into a file it reads`,
      `WS/topology.yaml:19:19: error SLUICE_ERR_TOPOLOGY_PATH_CONFLICT: node \`keys\` writes ${ws.dir}/keys.json, which is also the key file (--key-file): the run would write into a file it reads`,
    ]);
  });

  it('lets two sinks share no file and a sink sit next to its input', async () => {
    const r = await ws.validate(`name: t
nodes:
  a:
    source: { file: ./data/in.ndjson }
    sink: { file: ./data/out.ndjson }
`);
    expect(summary(r.problems)).toEqual([]);
  });
});
