/**
 * avro-confluent against another Confluent-format client: Python confluent-kafka (librdkafka, its
 * schema_registry AvroSerializer/AvroDeserializer and SchemaRegistryClient, see harness/confluent-python.ts),
 * the real broker and the real registry. What sluice's Publisher and a stage write, that client reads back
 * equal (same ids); what it writes with a v1 and then a v2 schema, a sluice stage reads as v2.
 */
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { schemaFromJson } from '../../../src/codecs/index.ts';
import { createPublisher } from '../../../src/runtime/publisher.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createTransport, type Transport } from '../../../src/transport/index.ts';
import { confluentPython, type ConfluentPython } from '../harness/confluent-python.ts';
import { brokers, uniqueName } from '../harness/kafka.ts';
import { registryUrl } from '../harness/registry.ts';
import { registryStepTopology } from './examples.ts';

const v1 = {
  type: 'record',
  name: 'Reading',
  namespace: 'reginterop',
  fields: [
    { name: 'id', type: 'int' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'value', type: ['null', 'double'], default: null },
  ],
};
const v2 = { ...v1, fields: [...v1.fields, { name: 'unit', type: 'string', default: 'C' }] };

const file = registryStepTopology(v1, v2);
const schemaFile = (name: string) => join(dirname(file), 'schemas', `${name}.avsc`);

let transport: Transport;
let python: ConfluentPython;
beforeAll(async () => {
  transport = createTransport({ brokers: brokers(), clientId: 'sluice-reginterop-test', logger: silentLogger });
  python = await confluentPython(brokers(), registryUrl());
});
afterAll(async () => {
  await transport?.close();
});

async function topics(ns: string) {
  await transport.createTopics([{ name: `${ns}in`, partitions: 2 }, { name: `${ns}out`, partitions: 2 }]);
}
async function runStep(ns: string) {
  const topology = await loadTopology(file, { env: { REGISTRY: registryUrl() } });
  const run = await TopologyRun.start({ topology, transport, logger: silentLogger, untilCaughtUp: true, commitIntervalMs: 100, nodes: ['step'], namespace: ns });
  return run.done;
}
async function latestId(subject: string): Promise<number> {
  const res = await fetch(`${registryUrl()}/subjects/${subject}/versions/latest`);
  return ((await res.json()) as { id: number }).id;
}
const byId = (a: { value: unknown }, b: { value: unknown }) => (a.value as { id: number }).id - (b.value as { id: number }).id;

describe('avro-confluent interop with Python confluent-kafka', () => {
  it('what sluice publishes and a stage writes, confluent-kafka’s AvroDeserializer reads back equal', async () => {
    const ns = `${uniqueName('reginterop-out')}.`;
    await topics(ns);
    const sent = Array.from({ length: 30 }, (_, id) => ({ id, at: 1_700_000_000_000 + id, value: id % 3 === 0 ? null : id / 4 }));
    const publisher = await createPublisher({ topic: `${ns}in`, transport, codec: 'avro-confluent', schema: schemaFromJson(v1), schemaRegistry: { url: registryUrl() } });
    await publisher.publish(sent);
    await publisher.close();
    expect((await runStep(ns)).failed).toEqual([]);

    const published = await python.consume(`${ns}in`, sent.length);
    const inId = await latestId(`${ns}in-value`);
    expect(published.every((r) => r.id === inId)).toBe(true);
    expect(published.sort(byId).map((r) => r.value)).toEqual(sent);

    const written = await python.consume(`${ns}out`, sent.length);
    const outId = await latestId(`${ns}out-value`);
    expect(written.every((r) => r.id === outId)).toBe(true);
    expect(written.sort(byId).map((r) => r.value)).toEqual(sent.map((s) => ({ ...s, unit: 'C' })));
  });

  it('what confluent-kafka’s AvroSerializer writes with v1 and then v2, a sluice stage reads as v2', async () => {
    const ns = `${uniqueName('reginterop-in')}.`;
    await topics(ns);
    const old = Array.from({ length: 10 }, (_, id) => ({ id, at: 1_700_000_000_000 + id, value: id * 1.5 }));
    const fresh = Array.from({ length: 10 }, (_, i) => ({ id: 100 + i, at: 1_700_000_000_100 + i, value: null, unit: 'F' }));
    const first = await python.produce(`${ns}in`, schemaFile('v1'), old);
    const second = await python.produce(`${ns}in`, schemaFile('v2'), fresh);
    expect(first.ids).toHaveLength(1);
    expect(second.ids).toHaveLength(1);
    expect(second.ids[0]).not.toBe(first.ids[0]);

    expect((await runStep(ns)).failed).toEqual([]);
    const out = (await python.consume(`${ns}out`, old.length + fresh.length, schemaFile('v2'))).sort(byId);
    expect(out.map((r) => r.value as { id: number; value: number | null; unit: string }).map(({ id, value, unit }) => ({ id, value, unit }))).toEqual([
      ...old.map(({ id, value }) => ({ id, value, unit: 'C' })),
      ...fresh.map(({ id, value, unit }) => ({ id, value, unit })),
    ]);
  });
});
