/**
 * The real schema registry crashes mid-run and comes back: a stage reading avro-confluent
 * records rides out the outage with no record lost and none dead-lettered. The registry
 * is a private one (scripts/registry.sh with its own state folder and port), so the
 * run's shared registry is never touched. A v2 writer schema is registered just before
 * the crash and its records are written while the registry is down, so the stage must
 * fetch that id while the registry is away; `kill` + `restart` keeps the H2 database, so
 * the ids after the restart name the same schemas as before.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createSourceStream, type ConsumedRecord, type Transport, createTransport } from '../../../src/transport/index.ts';
import { confluentBytes, decodeByHand, registerByHand, schemaByHand } from '../harness/confluent-by-hand.ts';
import { brokers, uniqueName } from '../harness/kafka.ts';
import { privateRegistry } from '../harness/private-registry.ts';
import { readTopicToMarkers } from '../harness/read-topic.ts';
import { registryStepTopology } from './examples.ts';

const v1 = { type: 'record', name: 'Reading', namespace: 'regrestart', fields: [{ name: 'id', type: 'int' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'unit', type: 'string', default: 'C' }] };
// The second writer must not be V2 itself: the stage registered V2 for its output, and the registry gives
// the same schema the same id under every subject, so that id would already be in the stage's cache.
const writer2 = { ...v2, fields: [...v2.fields, { name: 'site', type: 'string', default: '-' }] };
const PER_WRITER = 20;

const registry = privateRegistry();
let url: string;
let transport: Transport;
beforeAll(async () => {
  transport = createTransport({ brokers: brokers(), clientId: 'sluice-regrestart-test', logger: silentLogger });
  url = (await registry.sh('start')).stdout.trim();
});
afterAll(async () => {
  await registry.dispose();
  await transport?.close();
});

/** The distinct keys seen on `topic` so far, read by a consumer that follows it until closed. */
async function followKeys(topic: string) {
  const consumer = await transport.consumer({ groupId: `regrestart-follow-${randomUUID()}`, topics: [topic], fromBeginning: true, readCommitted: true });
  const stream = await createSourceStream(consumer);
  const keys = new Set<string>();
  const reading = (async () => {
    for await (const chunk of stream) keys.add((chunk as ConsumedRecord).key!.toString());
  })().catch(() => undefined);
  return {
    keys,
    async until(count: number, timeoutMs: number): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (keys.size < count) {
        if (Date.now() > deadline) throw new Error(`${topic}: ${keys.size} of ${count} keys after ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close(): Promise<void> {
      stream.destroy();
      await reading;
      await consumer.disconnect();
    },
  };
}

async function send(topic: string, id: number, schema: object, values: ReadonlyArray<Record<string, unknown> & { id: number }>): Promise<void> {
  const producer = await transport.producer();
  await producer.send(values.map((v) => ({ topic, key: `k${v.id}`, value: confluentBytes(id, schema, v), headers: {} })));
  await producer.close();
}

describe('avro-confluent across a schema registry crash and restart', () => {
  it('a running stage fetches a new writer id while the registry is down, and every record comes out once it is back', async () => {
    const ns = `${uniqueName('regrestart')}.`;
    await transport.createTopics([{ name: `${ns}in`, partitions: 2 }, { name: `${ns}out`, partitions: 2 }]);
    const id1 = await registerByHand(url, `${ns}in-value`, v1);
    const firstBatch = Array.from({ length: PER_WRITER }, (_, id) => ({ id }));
    await send(`${ns}in`, id1, v1, firstBatch);

    // `in` read as v2 too, so the second writer's `unit` shows; retries that outlast a registry restart.
    const topology = await loadTopology(registryStepTopology(v2, v2, '{ attempts: 60, backoff: 200ms, max-backoff: 1s }'), { env: { REGISTRY: url } });
    const run = await TopologyRun.start({ topology, transport, logger: silentLogger, commitIntervalMs: 100, nodes: ['step'], namespace: ns });
    const out = await followKeys(`${ns}out`);
    let report;
    let id2 = 0;
    const secondBatch = Array.from({ length: PER_WRITER }, (_, i) => ({ id: PER_WRITER + i, unit: 'F', site: 'north' }));
    try {
      // The stage is up and has v1's id and the output's id cached.
      await out.until(PER_WRITER, 30_000);

      id2 = await registerByHand(url, `${ns}in-value`, writer2);
      await registry.sh('kill');
      await send(`${ns}in`, id2, writer2, secondBatch);
      // Until the stage has read a writer2 record and failed to fetch id2 from the dead registry.
      const before = Date.now();
      while (run.stages[0]!.report().retried === 0) {
        if (Date.now() - before > 20_000) throw new Error(`the stage never retried while the registry was down: ${JSON.stringify(run.stages[0]!.report())}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(out.keys.size).toBe(PER_WRITER);

      expect((await registry.sh('restart')).stdout.trim()).toBe(url);
      // Same database: each id names the schema it named before the crash.
      expect(await schemaByHand(url, id1)).toEqual(v1);
      expect(await schemaByHand(url, id2)).toEqual(writer2);

      await out.until(2 * PER_WRITER, 30_000);
    } finally {
      run.stop();
      report = await run.done;
      await out.close();
    }
    expect(report.failed).toEqual([]);
    expect(report.stages[0]).toMatchObject({ node: 'step', deadLettered: 0 });
    expect(report.stages[0]!.retried).toBeGreaterThan(0);

    const records = await readTopicToMarkers(transport, `${ns}out`);
    // The output's one writer id (V2, which the stage registered) is neither input id: nothing the stage
    // had cached before the crash could stand in for id2.
    const outIds = new Set(records.map((r) => r.value!.readUInt32BE(1)));
    expect(outIds.size).toBe(1);
    expect([id1, id2]).not.toContain([...outIds][0]);
    const values = await Promise.all(records.map((r) => decodeByHand(url, r.value!, v2)));
    const expected = [...firstBatch.map((v) => ({ ...v, unit: 'C' })), ...secondBatch.map(({ id, unit }) => ({ id, unit }))];
    // At least once: a record may come out twice, but each output is one input, and every input is there.
    expect(values.length).toBeGreaterThanOrEqual(expected.length);
    expect([...new Set(values.map((v) => JSON.stringify(v)))].sort()).toEqual(expected.map((v) => JSON.stringify(v)).sort());
    expect((await transport.describeTopics([`${ns}in.dlq`])).length === 0 || (await readTopicToMarkers(transport, `${ns}in.dlq`)).length === 0).toBe(true);
  });
});
