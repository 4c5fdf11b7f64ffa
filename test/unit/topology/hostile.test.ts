/**
 * Hostile topology files, the cases issue 9 lists that the parser's own tests
 * (yaml.test.ts, validate.test.ts, env.test.ts) do not already pin down:
 * duplicate keys anywhere, prototype pollution attempts through the whole
 * loader (Object.prototype must stay clean, not just the parsed data), and
 * processor module references that leave the topology folder.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { parseYaml, validateTopologyFile } from '../../../src/topology/index.ts';

let dir: string;
let outside: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'sluice-hostile-'));
  outside = await mkdtemp(path.join(tmpdir(), 'sluice-outside-'));
  await writeFile(path.join(outside, 'evil.ts'), "export default () => { throw new Error('must never load'); };\n");
  await mkdir(path.join(dir, 'processors'));
  await symlink(path.join(outside, 'evil.ts'), path.join(dir, 'processors', 'link.ts'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

async function problems(yaml: string): Promise<Array<{ code: string; message: string }>> {
  const file = path.join(dir, `t-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, yaml);
  const r = await validateTopologyFile(file, { env: {} });
  return r.problems.map((p) => ({ code: p.code, message: p.message }));
}

const withModule = (module: string) => `name: t
nodes:
  a:
    source: { stdin: true }
    process:
      - map: { module: ${JSON.stringify(module)} }
    sink: { stdout: true }
`;

describe('hostile topology files', () => {
  it('refuses a duplicate key anywhere, not only among node ids', () => {
    for (const text of ['name: a\nname: b\n', 'topics:\n  t: { partitions: 1, partitions: 2 }\n']) {
      const r = parseYaml(text);
      expect(r.issues.length, text).toBeGreaterThan(0);
      expect(r.issues.map((i) => i.message).join(' ')).toMatch(/unique|duplicate/i);
    }
  });

  it('leaves Object.prototype clean through the whole loader, whatever the file tries', async () => {
    const before = Object.getOwnPropertyNames(Object.prototype).sort();
    const attempts = [
      'name: t\n__proto__: { polluted: yes }\nnodes: {}\n',
      'name: t\nnodes:\n  a: { constructor: { prototype: { polluted: yes } } }\n',
      'name: t\nbase: &b { polluted: yes }\nnodes:\n  a:\n    <<: *b\n',
      '{"name": "t", "__proto__": {"polluted": true}, "nodes": {}}\n',
    ];
    for (const text of attempts) {
      const found = await problems(text);
      expect(found.map((p) => p.code), text).toContain(ErrorCodes.TOPOLOGY_UNSAFE);
    }
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  const OUTSIDE = /outside \/tmp\/sluice-hostile-\w+(; paths must stay inside the topology's folder)?$/;
  const NOT_A_FILE = /is a URL or a builtin module, not a file path/;
  it.each([
    ['a parent-folder escape', '../outside/evil.ts', OUTSIDE],
    ['an absolute path outside', '/etc/passwd', OUTSIDE],
    ['a symbolic link out of the folder', './processors/link.ts', /leads through a symbolic link to .*evil\.ts, outside/],
    ['a Node builtin', 'node:child_process', NOT_A_FILE],
    ['a data: URL', 'data:text/javascript,export default () => 1', NOT_A_FILE],
    ['an http: URL', 'http://example.com/evil.ts', NOT_A_FILE],
    ['a file: URL', 'file:///etc/passwd', NOT_A_FILE],
  ])('refuses a processor module that is %s', async (_what, module, message) => {
    const found = await problems(withModule(module));
    expect(found).toEqual([{ code: ErrorCodes.TOPOLOGY_UNSAFE, message: expect.stringMatching(message) }]);
  });
});
