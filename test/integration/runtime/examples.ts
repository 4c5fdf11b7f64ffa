/**
 * Runs an example topology from topologies/ end to end, on a copy of its
 * folder (so parallel runs never share output files) under .cache/, where the
 * examples' `import ... from 'sluice'` still resolves to this package.
 */
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun, type RunReport } from '../../../src/runtime/index.ts';
import { loadTopology, type Topology } from '../../../src/topology/index.ts';
import type { Transport } from '../../../src/transport/index.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

export function copyExample(name: string): string {
  const dir = join(repo, '.cache', 'test-topologies', `${name}-${randomUUID().slice(0, 8)}`);
  mkdirSync(dir, { recursive: true });
  cpSync(join(repo, 'topologies', name), dir, { recursive: true, filter: (src) => !src.includes(`${name}/out`) });
  return dir;
}

export interface ExampleRun {
  dir: string;
  /** As loaded from the example's file (not namespaced). */
  topology: Topology;
  report: RunReport;
  stdout: string;
  read(relative: string): string;
}

export async function runExample(
  name: string,
  transport: Transport,
  options: { namespace?: string; env?: Record<string, string> } = {},
): Promise<ExampleRun> {
  const dir = copyExample(name);
  const topology = await loadTopology(join(dir, 'topology.yaml'), { env: { ...process.env, ...options.env } });
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  const run = await TopologyRun.start({
    topology,
    transport,
    logger: silentLogger,
    untilCaughtUp: true,
    commitIntervalMs: 200,
    stdout,
    env: { ...process.env, ...options.env },
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
  });
  const report = await run.done;
  return { dir, topology, report, stdout: text, read: (relative) => readFileSync(join(dir, relative), 'utf8') };
}

export function lines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
}

export function exampleInput(name: string, relative: string): string {
  return readFileSync(join(repo, 'topologies', name, relative), 'utf8');
}

/** Writes a throwaway topology folder (files by relative path) under .cache/, where `sluice` resolves. */
export function writeTopology(files: Record<string, string>): string {
  const dir = join(repo, '.cache', 'test-topologies', `custom-${randomUUID().slice(0, 8)}`);
  for (const [relative, text] of Object.entries(files)) {
    const path = join(dir, relative);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
  return join(dir, 'topology.yaml');
}

/**
 * A throwaway topology with one stage `step`: topic `in` → a processor module → topic `out` (3 partitions
 * each, Avro with `schema`), plus an idle `feed` node so `in` has a writer, as the validator requires.
 */
export async function oneStageTopology(options: {
  schema: object;
  processor: string;
  guarantee?: 'at-least-once' | 'exactly-once';
  deadLetter?: string;
  /** The node's `retries:` as written in YAML. */
  retries?: string;
}): Promise<Topology> {
  const extra = [
    ...(options.deadLetter !== undefined ? [`    dead-letter: ${options.deadLetter}`] : []),
    ...(options.retries !== undefined ? [`    retries: ${options.retries}`] : []),
    ...(options.guarantee !== undefined ? [`    guarantee: ${options.guarantee}`] : []),
  ].join('\n');
  const file = writeTopology({
    'schemas/item.avsc': JSON.stringify(options.schema),
    'processors/step.ts': options.processor,
    'none.ndjson': '',
    'topology.yaml': `
name: items
schemas: { Item: ./schemas/item.avsc }
topics:
  in: { partitions: 3, schema: Item, codec: avro }
  out: { partitions: 3, schema: Item, codec: avro }
nodes:
  step:
    from: in
    process:
      - map: { module: ./processors/step.ts }
    to: out
${extra}
  feed:
    source: { file: ./none.ndjson }
    to: in
`,
  });
  return loadTopology(file);
}

/**
 * `step` reads avro-confluent topic `in` (schema `v1`) with `v2` and writes `out` (`v2`), 2 partitions each, ids
 * from the registry `${REGISTRY}`, dead letters to `in.dlq`; an idle `feed` node writes `in`. Returns the file.
 */
export function registryStepTopology(v1: object, v2: object, retries?: string): string {
  return writeTopology({
    'schemas/v1.avsc': JSON.stringify(v1),
    'schemas/v2.avsc': JSON.stringify(v2),
    'none.ndjson': '',
    'topology.yaml': `
name: readings
schema-registry: { url: "\${REGISTRY}", subject: topic }
schemas: { V1: ./schemas/v1.avsc, V2: ./schemas/v2.avsc }
topics:
  in: { partitions: 2, schema: V1, codec: avro-confluent }
  out: { partitions: 2, schema: V2, codec: avro-confluent }
nodes:
  step:
    from: in
    schema: V2
    to: out
    dead-letter: in.dlq
${retries === undefined ? '' : `    retries: ${retries}`}
  feed:
    source: { file: ./none.ndjson }
    to: in
`,
  });
}

/** `read`: the lines of a file, as they are, to topic `lines` (3 partitions). */
export function linesToTopicTopology(lines: readonly string[]): string {
  return writeTopology({
    'in.txt': lines.join('\n') + '\n',
    'topology.yaml': `
name: big
topics:
  lines: { partitions: 3 }
nodes:
  read:
    source: { file: ./in.txt, format: lines }
    to: lines
`,
  });
}

/** `grow`, exactly-once from `in` to `out` (2 partitions each): the record `{ id: growId }` comes out 2 MB larger; dead letters to `grow.dlq`. */
export function growingTopology(growId: number): string {
  return writeTopology({
    'processors/inflate.ts': `import { defineProcessor } from 'sluice';
import { randomBytes } from 'node:crypto';
export default defineProcessor<{ id: number; pad?: string }>((v) => (v.id === ${growId} ? { ...v, pad: randomBytes(1_500_000).toString('base64') } : v));`,
    'topology.yaml': `
name: eosbig
topics:
  in: { partitions: 2 }
  out: { partitions: 2 }
nodes:
  grow:
    from: in
    guarantee: exactly-once
    process:
      - map: { module: ./processors/inflate.ts }
    to: out
    dead-letter: grow.dlq
`,
  });
}
