/**
 * File sinks inside running stages, on the embedded transport: a stage run
 * again on the same group appends to the output it had acknowledged (its
 * offsets say it was written), and a record the sink cannot format is
 * dead-lettered while the rest are written.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology, type Topology } from '../../../src/topology/index.ts';
import { EmbeddedBroker, createEmbeddedTransport, type Transport } from '../../../src/transport/index.ts';
import { writeTopology } from '../../integration/runtime/examples.ts';
import { readTopic } from './embedded-topic.ts';

async function publish(transport: Transport, topic: string, values: string[]): Promise<void> {
  const producer = await transport.producer();
  await producer.send(values.map((value) => ({ topic, key: null, value })));
  await producer.close();
}

async function run(topology: Topology, transport: Transport): Promise<void> {
  const report = await (await TopologyRun.start({ topology, transport, logger: silentLogger })).done;
  expect(report.failed).toEqual([]);
}

const storeTopology = (sink: string) => ({
  'topology.yaml': `
name: store
topics:
  in: { codec: json }
nodes:
  store:
    from: in
    sink: ${sink}
`,
});

describe('a file sink in a stage', () => {
  it('keeps what an earlier run of the stage wrote and committed, and appends the new records', async () => {
    const file = writeTopology(storeTopology('{ file: ./out/store.ndjson }'));
    const topology = await loadTopology(file);
    const transport = createEmbeddedTransport(new EmbeddedBroker());
    await transport.createTopics([{ name: 'in', partitions: 1 }]);
    await publish(transport, 'in', ['{"n":1}', '{"n":2}', '{"n":3}', '{"n":4}', '{"n":5}']);
    await run(topology, transport);
    await publish(transport, 'in', ['{"n":6}', '{"n":7}', '{"n":8}', '{"n":9}']);
    await run(topology, transport);
    const lines = readFileSync(join(topology.dir, 'out/store.ndjson'), 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { n: number }).n)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('with `mode: overwrite` holds only the latest run of the topology', async () => {
    const file = writeTopology(storeTopology('{ file: ./out/store.ndjson, mode: overwrite }'));
    const topology = await loadTopology(file);
    const transport = createEmbeddedTransport(new EmbeddedBroker());
    await transport.createTopics([{ name: 'in', partitions: 1 }]);
    await publish(transport, 'in', ['{"n":1}', '{"n":2}']);
    await run(topology, transport);
    await publish(transport, 'in', ['{"n":3}']);
    await run(topology, transport);
    expect(readFileSync(join(topology.dir, 'out/store.ndjson'), 'utf8')).toBe('{"n":3}\n');
  });

  it('dead-letters a record too deep to format (400,000 nested arrays) and writes the records around it', async () => {
    const file = writeTopology(storeTopology('{ file: ./out/store.ndjson }'));
    const topology = await loadTopology(file);
    const broker = new EmbeddedBroker();
    const transport = createEmbeddedTransport(broker);
    await transport.createTopics([{ name: 'in', partitions: 1 }]);
    const deep = '['.repeat(400_000) + ']'.repeat(400_000);
    await publish(transport, 'in', ['{"n":1}', deep, '{"n":3}']);
    await run(topology, transport);
    expect(readFileSync(join(topology.dir, 'out/store.ndjson'), 'utf8')).toBe('{"n":1}\n{"n":3}\n');
    const dead = await readTopic(broker, transport, 'in.dlq');
    expect(dead.map((d) => [d.headers['sluice.dlq.error.code']?.toString(), d.headers['sluice.dlq.original.offset']?.toString(), d.value?.length])).toEqual([
      [ErrorCodes.SERIALIZE, '1', deep.length],
    ]);
  });
});
