/**
 * avro-confluent through a real schema registry (Apicurio's Confluent API, scripts/registry.sh) and the
 * real broker: `sluice publish`'s Publisher → topic → stage → topic; one registry request per new id; a v1
 * writer read by a v2 reader with a defaulted field; records written and read by a hand-made Confluent
 * producer and consumer (avsc and the wire format, no sluice code); an incompatible registration refused
 * with the registry's reason; a registry outage that fails the stage without a dead letter, the records
 * read again once it is back. A counting proxy in front of the registry counts requests and plays the outage.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCodes, SluiceError, silentLogger } from '../../../src/core/index.ts';
import { schemaFromJson } from '../../../src/codecs/index.ts';
import { createPublisher } from '../../../src/runtime/publisher.ts';
import { SchemaRegistryClient, TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createTransport, type Transport } from '../../../src/transport/index.ts';
import { brokers, uniqueName } from '../harness/kafka.ts';
import { confluentBytes, decodeByHand as decodeAt, registerByHand as registerAt } from '../harness/confluent-by-hand.ts';
import { readTopicToMarkers } from '../harness/read-topic.ts';
import { registryUrl, startRegistryProxy, type RegistryProxy } from '../harness/registry.ts';
import { registryStepTopology, writeTopology } from './examples.ts';

const v1 = { type: 'record', name: 'Reading', namespace: 'regclient', fields: [{ name: 'id', type: 'int' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'unit', type: 'string', default: 'C' }] };
const MEDIA = 'application/vnd.schemaregistry.v1+json';
const registerByHand = (subject: string, schema: object) => registerAt(registryUrl(), subject, schema);
const decodeByHand = (bytes: Buffer, reader: object) => decodeAt(registryUrl(), bytes, reader);

let transport: Transport;
let proxy: RegistryProxy;
beforeAll(async () => {
  transport = createTransport({ brokers: brokers(), clientId: 'sluice-regclient-test', logger: silentLogger });
  proxy = await startRegistryProxy(registryUrl());
});
afterAll(async () => {
  await proxy?.close();
  await transport?.close();
});

async function runStep(namespace: string, retries: string) {
  const topology = await loadTopology(registryStepTopology(v1, v2, retries), { env: { REGISTRY: proxy.url } });
  const run = await TopologyRun.start({ topology, transport, logger: silentLogger, untilCaughtUp: true, commitIntervalMs: 100, nodes: ['step'], namespace });
  return run.done;
}

describe('avro-confluent with a schema registry', () => {
  it('round trips publish → topic → stage → topic, one request per new id, v1 read as v2, other Confluent clients interoperating', async () => {
    const ns = `${uniqueName('regclient-rt')}.`;
    await transport.createTopics([{ name: `${ns}in`, partitions: 2 }, { name: `${ns}out`, partitions: 2 }]);
    const publisher = await createPublisher({ topic: `${ns}in`, transport, codec: 'avro-confluent', schema: schemaFromJson(v1), schemaRegistry: { url: proxy.url } });
    await publisher.publish(Array.from({ length: 40 }, (_, id) => ({ id })));
    await publisher.close();
    expect(proxy.requests).toEqual([`POST /subjects/${ns}in-value/versions`]);
    // A producer that is not sluice: the same subject's schema, registered and written by hand.
    const id = await registerByHand(`${ns}in-value`, v1);
    const producer = await transport.producer();
    await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: `${ns}in`, key: null, value: confluentBytes(id, v1, { id: 100 + i }), headers: {} })));
    await producer.close();

    proxy.requests.length = 0;
    const report = await runStep(ns, '{ attempts: 2, backoff: 50ms }');
    expect(report.failed).toEqual([]);
    // 50 records, one writer id (sluice and the hand producer registered the same schema): one GET to read,
    // one registration of the output's schema.
    expect(proxy.requests.sort()).toEqual([`GET /schemas/ids/${id}`, `POST /subjects/${ns}out-value/versions`]);

    const out = await readTopicToMarkers(transport, `${ns}out`);
    const values = await Promise.all(out.map((r) => decodeByHand(r.value!, v2)));
    expect(values.map((v) => (v as { id: number }).id).sort((a, b) => a - b)).toEqual([...Array.from({ length: 40 }, (_, i) => i), ...Array.from({ length: 10 }, (_, i) => 100 + i)]);
    expect(values.every((v) => (v as { unit: string }).unit === 'C')).toBe(true);
    expect(await readTopicToMarkers(transport, `${ns}in.dlq`)).toEqual([]);
  });

  it('refuses an incompatible registration with the registry’s reason', async () => {
    const subject = `${uniqueName('regclient-incompat')}-value`;
    await registerByHand(subject, v1);
    await fetch(`${registryUrl()}/config/${subject}`, { method: 'PUT', headers: { 'content-type': MEDIA }, body: JSON.stringify({ compatibility: 'BACKWARD' }) });
    const noDefault = { ...v1, fields: [...v1.fields, { name: 'site', type: 'string' }] };
    const err = await new SchemaRegistryClient({ url: proxy.url }).register(subject, JSON.stringify(noDefault)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SluiceError);
    expect(err).toMatchObject({ code: ErrorCodes.SCHEMA_INCOMPATIBLE, context: { status: 409 } });
    expect((err as Error).message).toContain('site');
  });

  it('a registry outage fails the stage without dead-lettering; once it is back the records are read again', async () => {
    const ns = `${uniqueName('regclient-outage')}.`;
    await transport.createTopics([{ name: `${ns}in`, partitions: 2 }, { name: `${ns}out`, partitions: 2 }]);
    const id = await registerByHand(`${ns}in-value`, v1);
    const producer = await transport.producer();
    await producer.send(Array.from({ length: 20 }, (_, i) => ({ topic: `${ns}in`, key: `k${i}`, value: confluentBytes(id, v1, { id: i }), headers: {} })));
    await producer.close();

    proxy.down = true;
    let report;
    try {
      report = await runStep(ns, '{ attempts: 1, backoff: 10ms }');
    } finally {
      proxy.down = false;
    }
    expect(report.failed).toMatchObject([{ node: 'step', code: ErrorCodes.SCHEMA_REGISTRY_UNAVAILABLE }]);
    expect((await transport.describeTopics([`${ns}in.dlq`])).length === 0 || (await readTopicToMarkers(transport, `${ns}in.dlq`)).length === 0).toBe(true);

    const again = await runStep(ns, '{ attempts: 1, backoff: 10ms }');
    expect(again.failed).toEqual([]);
    const out = await readTopicToMarkers(transport, `${ns}out`);
    const ids = (await Promise.all(out.map((r) => decodeByHand(r.value!, v2)))).map((v) => (v as { id: number }).id);
    expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect((await readTopicToMarkers(transport, `${ns}in.dlq`)).length).toBe(0);
  });

  it('`sluice schemas check` passes a compatible topology and exits 1 naming an incompatible field', async () => {
    const topic = uniqueName('regclient-check');
    await registerByHand(`${topic}-value`, v1);
    await fetch(`${registryUrl()}/config/${topic}-value`, { method: 'PUT', headers: { 'content-type': MEDIA }, body: JSON.stringify({ compatibility: 'BACKWARD' }) });
    const bin = fileURLToPath(new URL('../../../bin/sluice.js', import.meta.url));
    const check = (schema: object) => {
      const file = writeTopology({
        'schemas/s.avsc': JSON.stringify(schema),
        'none.ndjson': '',
        'topology.yaml': `
name: check
schemas: { S: ./schemas/s.avsc }
topics:
  ${topic}: { schema: S, codec: avro-confluent }
nodes:
  feed:
    source: { file: ./none.ndjson }
    to: ${topic}
`,
      });
      return spawnSync(process.execPath, [bin, 'schemas', 'check', file, '--schema-registry', registryUrl()], { encoding: 'utf8' });
    };
    const ok = check(v2);
    expect(ok.stdout + ok.stderr).toContain(`${topic} (subject ${topic}-value, schema S): compatible`);
    expect(ok.status).toBe(0);
    const bad = check({ ...v1, fields: [...v1.fields, { name: 'site', type: 'string' }] });
    expect(bad.stdout).toMatch(/INCOMPATIBLE: .*site/);
    expect(bad.status).toBe(1);
  });
});
