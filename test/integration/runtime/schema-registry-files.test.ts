/**
 * avro-confluent in line files (`codec: avro-confluent|base64`) with a real schema registry, on the
 * embedded transport: a file source meets writer ids no one in the process has seen (a v1 and a v2 id,
 * registered by hand) and fetches them; a file sink registers its schema (subject: the record's full
 * name, as files have no topic) before its first batch. The output is checked by hand: each line's id
 * against the registry, the body with avsc.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createEmbeddedTransport, EmbeddedBroker } from '../../../src/transport/index.ts';
import { registryUrl, startRegistryProxy } from '../harness/registry.ts';
import { writeTopology } from './examples.ts';

const MEDIA = 'application/vnd.schemaregistry.v1+json';

async function register(subject: string, schema: object): Promise<number> {
  const res = await fetch(`${registryUrl()}/subjects/${subject}/versions`, { method: 'POST', headers: { 'content-type': MEDIA }, body: JSON.stringify({ schema: JSON.stringify(schema) }) });
  return ((await res.json()) as { id: number }).id;
}
const long = avro.Type.forSchema('long');
/** A line of an avro-confluent|base64 file is one batch: the Confluent prefix, the record count (an Avro long), the records. */
function confluentLine(id: number, schema: object, values: unknown[]): string {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id, 1);
  const type = avro.Type.forSchema(schema as avro.Schema);
  return Buffer.concat([head, long.toBuffer(values.length), ...values.map((v) => type.toBuffer(v))]).toString('base64');
}
function readLine(line: string, type: avro.Type): { id: number; values: unknown[] } {
  const bytes = Buffer.from(line, 'base64');
  expect(bytes[0]).toBe(0);
  const count = long.decode(bytes, 5);
  const values: unknown[] = [];
  for (let i = 0, pos = count.offset; i < (count.value as number); i++) {
    const next = type.decode(bytes, pos);
    values.push(next.value);
    pos = next.offset;
  }
  return { id: bytes.readUInt32BE(1), values };
}

describe('avro-confluent line files with a schema registry', () => {
  it('a file source fetches the unseen v1 and v2 ids and reads both as v2; a file sink registers before its first batch', async () => {
    // A namespace of its own: a file's subject is the record's full name, shared by every run on this registry.
    const namespace = `reginterop.files${randomUUID().slice(0, 8)}`;
    const v1 = { type: 'record', name: 'Reading', namespace, fields: [{ name: 'id', type: 'int' }] };
    const v2 = { ...v1, fields: [...v1.fields, { name: 'unit', type: 'string', default: 'C' }] };
    const v1Id = await register(`${namespace}-elsewhere`, v1);
    const v2Id = await register(`${namespace}-elsewhere`, v2);
    const lines = [
      ...Array.from({ length: 5 }, (_, id) => confluentLine(v1Id, v1, [{ id }])),
      confluentLine(v2Id, v2, Array.from({ length: 5 }, (_, i) => ({ id: 10 + i, unit: 'F' }))),
    ];
    const file = writeTopology({
      'schemas/v2.avsc': JSON.stringify(v2),
      'in.txt': lines.join('\n') + '\n',
      'topology.yaml': `
name: files
schema-registry: { url: "\${REGISTRY}" }
schemas: { V2: ./schemas/v2.avsc }
topics:
  mid: { partitions: 1, schema: V2, codec: avro-confluent }
nodes:
  read:
    source: { file: ./in.txt, codec: "avro-confluent|base64", schema: V2 }
    to: mid
  write:
    from: mid
    sink: { file: ./out.txt, codec: "avro-confluent|base64", schema: V2 }
`,
    });
    const topology = await loadTopology(file, { env: { REGISTRY: registryUrl() } });
    const transport = createEmbeddedTransport(new EmbeddedBroker());
    try {
      const run = await TopologyRun.start({ topology, transport, logger: silentLogger, commitIntervalMs: 50 });
      const report = await run.done;
      expect(report.failed).toEqual([]);
      expect(report.deadLetters).toEqual([]);
    } finally {
      await transport.close();
    }

    const latest = (await (await fetch(`${registryUrl()}/subjects/${namespace}.Reading/versions/latest`)).json()) as { id: number };
    const type = avro.Type.forSchema(v2 as avro.Schema);
    const out = readFileSync(join(dirname(file), 'out.txt'), 'utf8').trim().split('\n').map((line) => readLine(line, type));
    expect(out.map((l) => l.id)).toEqual(out.map(() => latest.id));
    const values = out.flatMap((l) => l.values);
    expect(values).toEqual([
      ...Array.from({ length: 5 }, (_, id) => ({ id, unit: 'C' })),
      ...Array.from({ length: 5 }, (_, i) => ({ id: 10 + i, unit: 'F' })),
    ]);
  });

  it('a file sink whose registry is unreachable fails the stage, dead-letters nothing, and writes every record once it is back', async () => {
    const namespace = `reginterop.filesdown${randomUUID().slice(0, 8)}`;
    const schema = { type: 'record', name: 'Reading', namespace, fields: [{ name: 'id', type: 'int' }] };
    const file = writeTopology({
      'schemas/r.avsc': JSON.stringify(schema),
      'in.ndjson': Array.from({ length: 8 }, (_, id) => JSON.stringify({ id })).join('\n') + '\n',
      'topology.yaml': `
name: filesdown
schema-registry: { url: "\${REGISTRY}" }
schemas: { R: ./schemas/r.avsc }
nodes:
  write:
    source: { file: ./in.ndjson }
    sink: { file: ./out.txt, codec: "avro-confluent|base64", schema: R }
    retries: { attempts: 1, backoff: 10ms }
`,
    });
    const proxy = await startRegistryProxy(registryUrl());
    const transport = createEmbeddedTransport(new EmbeddedBroker());
    try {
      const topology = await loadTopology(file, { env: { REGISTRY: proxy.url } });
      const run = async () => (await TopologyRun.start({ topology, transport, logger: silentLogger, commitIntervalMs: 50 })).done;
      proxy.down = true;
      const down = await run();
      expect(down.failed).toMatchObject([{ node: 'write', code: ErrorCodes.SCHEMA_REGISTRY_UNAVAILABLE }]);
      expect(down.deadLetters).toEqual([]);
      proxy.down = false;
      const up = await run();
      expect(up.failed).toEqual([]);
      expect(up.deadLetters).toEqual([]);
    } finally {
      await transport.close();
      await proxy.close();
    }
    const type = avro.Type.forSchema(schema as avro.Schema);
    const out = readFileSync(join(dirname(file), 'out.txt'), 'utf8').trim().split('\n').map((line) => readLine(line, type));
    expect(out.flatMap((l) => l.values)).toEqual(Array.from({ length: 8 }, (_, id) => ({ id })));
  });
});
