import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ajv2020 from 'ajv/dist/2020.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { topologyJsonSchema, topologyJsonSchemaText, validateTopologyFile } from '../../../src/topology/index.ts';

const examplesDir = path.resolve('topologies');
const schemaFile = path.resolve('schema/topology.schema.json');

async function topologyFiles(): Promise<string[]> {
  const entries = await readdir(examplesDir, { recursive: true });
  return entries
    .filter((e) => /(^|\/)topology\.(ya?ml|json)$/.test(e))
    .map((e) => path.join(examplesDir, e))
    .sort();
}

const files = await topologyFiles();

describe('the examples under topologies/', () => {
  it('include the seed data flow, the seed workflow, a word count and a clickstream', () => {
    const names = files.map((f) => path.basename(path.dirname(f)));
    expect(names).toEqual(expect.arrayContaining(['seed-dataflow', 'seed-workflow', 'word-count', 'clickstream']));
  });

  it.each(files.map((f) => [path.relative(examplesDir, f), f]))('%s validates with no problems and no warnings', async (_name, file) => {
    const r = await validateTopologyFile(file, { env: {} });
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.topology?.nodes.length).toBeGreaterThan(0);
  });

  it.each(files.map((f) => [path.relative(examplesDir, f), f]))('%s points editors at the published JSON Schema', async (_name, file) => {
    const text = await readFile(file, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schema/topology.schema.json');
  });

  it('keep their inputs small', async () => {
    for (const file of files) {
      const dataDir = path.join(path.dirname(file), 'data');
      for (const name of await readdir(dataDir)) {
        const lines = (await readFile(path.join(dataDir, name), 'utf8')).split('\n').length;
        expect(lines, name).toBeLessThanOrEqual(500);
      }
    }
  });
});

describe('schema/topology.schema.json', () => {
  // ajv is CommonJS: under NodeNext its default import is the module object, with the class on `default`.
  const Ajv2020 = ajv2020.default;
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  const validate = ajv.compile(topologyJsonSchema());

  it('is up to date with the zod schema (run npm run gen:schema)', async () => {
    expect(await readFile(schemaFile, 'utf8')).toBe(topologyJsonSchemaText());
  });

  it.each(files.map((f) => [path.relative(examplesDir, f), f]))('accepts %s', async (_name, file) => {
    const data: unknown = parse(await readFile(file, 'utf8'));
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects what the validator rejects: unknown keys, unknown processors, wrong types', () => {
    const ok = { name: 'x', nodes: { a: { source: { stdin: true }, process: [{ filter: { field: 'a', eq: 1 } }], sink: { stdout: true } } } };
    expect(validate(ok)).toBe(true);
    expect(validate({ ...ok, extra: 1 })).toBe(false);
    expect(validate({ ...ok, nodes: { a: { ...ok.nodes.a, process: [{ filtr: {} }] } } })).toBe(false);
    expect(validate({ ...ok, nodes: { a: { ...ok.nodes.a, process: [{}] } } })).toBe(false);
    expect(validate({ ...ok, nodes: { a: { ...ok.nodes.a, instances: '2' } } })).toBe(false);
  });
});
