/**
 * Exactly-once stages leave a transaction marker after each transaction, on
 * the embedded transport as on Kafka, so the topics they write end past
 * their last record. A chain in → a → mid1 → b → mid2 → c → out of exactly-once stages
 * must still finish its embedded runs (caught up) with every group committed
 * to the very end of its input, after a crash and a restart too, and `out`
 * must hold every input id exactly once.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology, type Topology } from '../../../src/topology/index.ts';
import { EmbeddedBroker, createEmbeddedTransport, type Transport } from '../../../src/transport/index.ts';
import { chainTopology } from '../../integration/coordinator/helpers.ts';
import { writeTopology } from '../../integration/runtime/examples.ts';

const yaml = chainTopology(1, ', guarantee: exactly-once');

async function feed(transport: Transport, from: number, to: number): Promise<void> {
  const producer = await transport.producer();
  const records = [];
  for (let i = from; i < to; i++) records.push({ topic: 'in', key: `k${i}`, value: JSON.stringify({ id: i }) });
  await producer.send(records);
  await producer.close();
}

/** Each group's committed offsets against its input's end, partition by partition. */
function behind(broker: EmbeddedBroker, topology: Topology): Array<{ group: string; partition: number; committed: string | null; end: string | null }> {
  const out = [];
  for (const [stage, input] of [['a', 'in'], ['b', 'mid1'], ['c', 'mid2']] as const) {
    const group = `${topology.name}.${stage}`;
    const committed = broker.group(group).committedOffsets(input);
    for (const { partition, offset } of broker.endOffsets(input)) {
      const at = committed.find((c) => c.partition === partition)?.offset ?? null;
      if (at !== offset) out.push({ group, partition, committed: at, end: offset });
    }
  }
  return out;
}

function idsIn(broker: EmbeddedBroker, topic: string): number[] {
  return broker
    .topic(topic)
    .logs.flat()
    .flatMap((r) => (r === null ? [] : [(JSON.parse(r.value!.toString()) as { id: number }).id]))
    .sort((x, y) => x - y);
}

describe('exactly-once stages and their transaction markers (embedded)', () => {
  it('a chain finishes caught up with every group committed to the end, after a crash and a restart too, each id once', async () => {
    const topology = await loadTopology(writeTopology({ 'topology.yaml': yaml }));
    const broker = new EmbeddedBroker();
    const transport = createEmbeddedTransport(broker);
    await transport.createTopics([{ name: 'in', partitions: 4 }]);
    await feed(transport, 0, 600);
    await (await TopologyRun.start({ topology, transport, logger: silentLogger, commitIntervalMs: 50 })).done;
    const records = (topic: string) => broker.topic(topic).logs.flat().filter((r) => r !== null).length;
    const ends = (topic: string) => broker.endOffsets(topic).reduce((n, e) => n + Number(e.offset), 0);
    expect(records('mid2')).toBe(600);
    expect(ends('mid2')).toBeGreaterThan(600);
    expect(behind(broker, topology)).toEqual([]);

    await feed(transport, 600, 3_000);
    const crashing = await TopologyRun.start({ topology, transport, logger: silentLogger, commitIntervalMs: 50, untilCaughtUp: false });
    const b = crashing.stages.find((s) => s.node.id === 'b')!;
    while (b.report().written < 1_200) await new Promise((r) => setTimeout(r, 5));
    b.crash('test: crash mid-run');
    const crashed = await crashing.done;
    expect(crashed.failed.map((f) => f.node)).toEqual(['b']);

    await feed(transport, 3_000, 3_500);
    const last = await (await TopologyRun.start({ topology, transport, logger: silentLogger, commitIntervalMs: 50 })).done;
    expect(last.failed).toEqual([]);
    expect(behind(broker, topology)).toEqual([]);
    expect(idsIn(broker, 'out')).toEqual(Array.from({ length: 3_500 }, (_, i) => i));
    await transport.close();
  });
});
