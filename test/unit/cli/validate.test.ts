import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace, processorsUrl } from '../topology/helpers.ts';
import { runCli } from './cli-harness.ts';

const examples = ['clickstream', 'seed-dataflow', 'seed-workflow', 'user-events', 'word-count'].map((n) => `topologies/${n}/topology.yaml`);
let ws: Workspace;
let bad: string;

beforeAll(async () => {
  ws = await Workspace.create();
  bad = await ws.write(
    'bad.yaml',
    `name: bad
nodes:
  a:
    source: { stdin: true }
    to: users.clean
  b:
    from: users.clen
    process:
      - filtr: { field: x, eq: 1 }
    sink: { stdout: true }
`,
  );
});

afterAll(async () => {
  await ws.remove();
});

describe('sluice validate', () => {
  it('exits 0 and says so for every example', async () => {
    const r = await runCli('validate', ...examples);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'topologies/clickstream/topology.yaml: valid (5 nodes, 6 topics)',
      'topologies/seed-dataflow/topology.yaml: valid (3 nodes, 2 topics)',
      'topologies/seed-workflow/topology.yaml: valid (4 nodes, 4 topics)',
      'topologies/user-events/topology.yaml: valid (4 nodes, 4 topics)',
      'topologies/word-count/topology.yaml: valid (4 nodes, 3 topics)',
    ]);
  });

  it('exits 2 and prints every problem as file:line:col: error CODE: message (hint)', async () => {
    const r = await runCli('validate', bad);
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toEqual([
      `${bad}:9:9: error SLUICE_ERR_TOPOLOGY_PROCESSOR_UNKNOWN: node \`b\`: unknown processor \`filtr\` (did you mean \`filter\`?)`,
      `${bad}: 1 problem`,
    ]);
  });

  it('reports graph problems once the file is well-formed', async () => {
    const fixed = await ws.write('fixed.yaml', (await readFile(bad, 'utf8')).replace('filtr', 'filter'));
    const r = await runCli('validate', fixed);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      `${fixed}:7:11: error SLUICE_ERR_TOPOLOGY_TOPIC_UNKNOWN: node \`b\` reads topic \`users.clen\`, which no node writes and \`topics\` does not declare; did you mean \`users.clean\`?`,
    );
  });

  it('--json lists files, validity and problems for tools, and still exits 2 if any file is invalid', async () => {
    const r = await runCli('validate', '--json', examples[0]!, bad);
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout) as { valid: boolean; files: Array<{ file: string; valid: boolean; problems: Array<{ code: string; line: number; column: number; path: string }> }> };
    expect(out.valid).toBe(false);
    expect(out.files.map((f) => [f.file, f.valid])).toEqual([[examples[0], true], [bad, false]]);
    expect(out.files[1]?.problems[0]).toMatchObject({ code: 'SLUICE_ERR_TOPOLOGY_PROCESSOR_UNKNOWN', line: 9, column: 9, path: 'nodes.b.process[0].filtr' });
  });

  it('reports a missing file as a problem, not a crash', async () => {
    const r = await runCli('validate', path.join(ws.dir, 'nope.yaml'));
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/nope\.yaml:1:1: error SLUICE_ERR_TOPOLOGY_PARSE: file not found/);
  });

  it('works from the real binary, where tsx loads the TypeScript processor modules with --load-modules', async () => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['bin/sluice.js', 'validate', '--load-modules', 'topologies/seed-workflow/topology.yaml'], { env: { ...process.env, SLUICE_LOG_LEVEL: 'silent' } });
    expect(stdout.trim()).toBe('topologies/seed-workflow/topology.yaml: valid (4 nodes, 4 topics)');
    await expect(run(process.execPath, ['bin/sluice.js', 'validate', bad])).rejects.toMatchObject({ code: 2 });
  });

  it('runs no user code unless --load-modules asks: a module whose top level writes a file', async () => {
    const marker = path.join(ws.dir, 'module-ran.txt');
    await ws.write(
      'mods/side-effect.ts',
      `import { writeFileSync } from 'node:fs';\nimport { defineProcessor } from '${processorsUrl}';\nwriteFileSync(${JSON.stringify(marker)}, 'ran');\nexport default defineProcessor((v) => v);\n`,
    );
    const file = await ws.write('mods.yaml', 'name: mods\nnodes:\n  a:\n    source: { stdin: true }\n    process:\n      - map: { module: ./mods/side-effect.ts }\n    sink: { stdout: true }\n');
    const exists = () => access(marker).then(() => true, () => false);

    const checked = await runCli('validate', file);
    expect(checked.code).toBe(0);
    expect(await exists()).toBe(false);

    const loaded = await runCli('validate', '--load-modules', file);
    expect(loaded.code).toBe(0);
    expect(await readFile(marker, 'utf8')).toBe('ran');
  });

  it('without --load-modules still refuses a module that is missing, not a module, or outside the folder, at its position', async () => {
    await ws.write('mods/notes.txt', 'not code');
    const file = await ws.write(
      'refs.yaml',
      'name: refs\nnodes:\n  a:\n    source: { stdin: true }\n    process:\n      - map: { module: ./mods/missing.ts }\n      - map: { module: ./mods/notes.txt }\n      - map: { module: ../elsewhere.ts }\n    sink: { stdout: true }\n',
    );
    const r = await runCli('validate', file);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${file}:6:24: error SLUICE_ERR_MODULE_LOAD: module ${path.join(ws.dir, 'mods/missing.ts')} does not exist`);
    expect(r.stdout).toContain(`${file}:7:24: error SLUICE_ERR_MODULE_LOAD: \`notes.txt\` is not a module; use one of .ts, .mts, .cts, .js, .mjs, .cjs`);
    expect(r.stdout).toContain(`${file}:8:24: error SLUICE_ERR_TOPOLOGY_UNSAFE: `);
  });

  it('--help says that --load-modules runs the modules\' code', async () => {
    const r = await runCli('validate', '--help');
    expect(r.stdout.replace(/\s+/g, ' ')).toContain('--load-modules import processor and aggregator modules to check their exports: this RUNS their top-level code');
  });

  it('refuses a cron schedule croner cannot run and an HTTP host that is not a host, exit 2 with both positions', async () => {
    const file = await ws.write(
      'start.yaml',
      'name: start\nnodes:\n  in:\n    source: { http: { port: 8080, host: "0.0.0.0; rm -rf /" } }\n    to: start.a\n  later:\n    from: start.a\n    trigger: { cron: "99 99 99 99 99" }\n    sink: { stdout: true }\n',
    );
    const r = await runCli('validate', file);
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toEqual([
      `${file}:4:41: error SLUICE_ERR_TOPOLOGY_INVALID: node \`in\`: a host is a host name (RFC 1123) or an IPv4 or IPv6 address (without brackets)`,
      `${file}:8:22: error SLUICE_ERR_TOPOLOGY_INVALID: node \`later\`: \`99 99 99 99 99\` is not a cron schedule: CronPattern: Invalid value for minute: 99`,
      `${file}: 2 problems`,
    ]);
  });
});
