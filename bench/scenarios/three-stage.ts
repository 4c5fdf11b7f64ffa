/**
 * Scenario 4, the seed's data flow as three stages joined by topics:
 * serialize (JSON → Avro), compress (Avro → Avro|LZ4), encode (→ base64),
 * all three running at once in one process, against the same three hops
 * hand-coded as kafkajs eachBatch + sendBatch loops with the same codec
 * chains inline. Throughput is the third stage's.
 *
 *     npx tsx bench/scenarios/three-stage.ts [--quick] [--rounds 5] [--records 60000]
 */
import { createCodecChain, type CodecChain } from '../../src/codecs/index.ts';
import { scenarioArgs } from '../harness/args.ts';
import { brokerVersion, fillWithEvents, freshName, rawKafka } from '../harness/kafka.ts';
import { machine } from '../harness/machine.ts';
import { runHops, type RawHopOptions } from '../harness/raw-hop.ts';
import { eventSchema } from '../harness/records.ts';
import { finish, versus } from '../harness/report.ts';
import { alternate, type Sample } from '../harness/rounds.ts';
import { eventFiles, kafkaTransport, runTopology, writeFolder } from '../harness/topology.ts';

const args = scenarioArgs({ records: { full: 60_000, quick: 10_000 }, partitions: { full: 3, quick: 3 } });
const N = args.records;
const P = args.partitions;
const machineInfo = machine(brokerVersion());

const schema = eventSchema();
/** Each topic's chain, in the order the data flows. */
const specs = ['json', 'avro', 'avro|lz4', 'avro|lz4|base64'] as const;
const chains = specs.map((spec) => createCodecChain(spec, { schema })) as [CodecChain, CodecChain, CodecChain, CodecChain];
const input = freshName('three-stage.in');
await fillWithEvents(input, P, N, chains[0]);

function flowTopology(topics: readonly string[]): string {
  const [json, avro, lz4, text] = topics;
  return writeFolder({
    ...eventFiles(),
    'topology.yaml': `
name: ${freshName('three-stage').replace(/\./g, '-')}
schemas: { ShopEvent: ./schemas/event.avsc }
topics:
  ${json}: { partitions: ${P}, codec: json }
  ${avro}: { partitions: ${P}, schema: ShopEvent, codec: avro }
  ${lz4}: { partitions: ${P}, schema: ShopEvent, codec: avro|lz4 }
  ${text}: { partitions: ${P}, schema: ShopEvent, codec: avro|lz4|base64 }
nodes:
  serialize: { from: ${json}, to: ${avro} }
  compress: { from: ${avro}, to: ${lz4} }
  encode: { from: ${lz4}, to: ${text} }
`,
  });
}

function downstreamTopics(): string[] {
  return ['serialized', 'compressed', 'encoded'].map((step) => freshName(`three-stage.${step}`));
}

async function sluiceRound(): Promise<Sample> {
  const transport = kafkaTransport();
  try {
    const { throughput } = await runTopology(flowTopology([input, ...downstreamTopics()]), { transport, counted: 'encode', total: N });
    return { ...throughput };
  } finally {
    await transport.close();
  }
}

async function rawRound(): Promise<Sample> {
  const kafka = rawKafka('bench-three-stage');
  const topics = [input, ...downstreamTopics()];
  const hops = [0, 1, 2].map((i): RawHopOptions => {
    const from = chains[i]!;
    const to = chains[i + 1]!;
    return {
      kafka,
      groupId: freshName(`three-stage.raw${i}`),
      from: topics[i]!,
      to: topics[i + 1]!,
      partitions: P,
      headers: to.headers(),
      transform: (value, h) => to.encode(from.decode(value, { headers: h as Record<string, Buffer> })),
    };
  });
  return { ...(await runHops(hops, N)) };
}

const rounds = await alternate(
  [
    { name: 'sluice topology', round: sluiceRound },
    { name: 'kafkajs hops', round: rawRound },
  ],
  { rounds: args.rounds },
);

finish({
  scenario: 'three-stage',
  title: 'three stages joined by topics (serialize → compress → encode) vs three hand-coded kafkajs hops',
  machine: machineInfo,
  quick: args.quick,
  params: { records: N, partitions: P, rounds: args.rounds, chains: specs, measure: 'records/s out of the third stage between 10% and 90% of the run' },
  rows: [
    versus('records/s out of the third stage', 'records/s', rounds['sluice topology']!.median.recordsPerSecond!, 'kafkajs hops', rounds['kafkajs hops']!.median.recordsPerSecond!, { min: 0.8 }),
    versus('CPU of the process per record (lower is leaner)', 'µs', rounds['sluice topology']!.median.cpuMicrosPerRecord!, 'kafkajs hops', rounds['kafkajs hops']!.median.cpuMicrosPerRecord!),
  ],
  rounds,
});
