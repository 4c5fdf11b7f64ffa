/**
 * Scenario 3, one hop: a topology stage (topic A → decode → map → encode →
 * topic B, at-least-once) against a hand-written kafkajs eachBatch +
 * sendBatch loop doing the same map with the same commit policy, reading the
 * same input topic. Also Kafka's ConsumerPerformance on the same topic: how
 * fast this broker hands the records out at all (fetch.nMsg.sec).
 *
 *     npx tsx bench/scenarios/one-hop.ts [--quick] [--rounds 5] [--records 200000]
 */
import { createCodecChain } from '../../src/codecs/index.ts';
import { scenarioArgs } from '../harness/args.ts';
import { brokers, brokerVersion, fillWithEvents, freshName, kafkaTool, rawKafka } from '../harness/kafka.ts';
import { machine } from '../harness/machine.ts';
import { runHops } from '../harness/raw-hop.ts';
import { enrich, eventSchema, meanAvroBytes, type ShopEvent } from '../harness/records.ts';
import { figure, finish, versus } from '../harness/report.ts';
import { alternate, type Sample } from '../harness/rounds.ts';
import { hopTopology, kafkaTransport, runTopology } from '../harness/topology.ts';

const args = scenarioArgs({ records: { full: 200_000, quick: 20_000 }, partitions: { full: 3, quick: 3 } });
const N = args.records;
const PARTITIONS = args.partitions;
const machineInfo = machine(brokerVersion());

const chain = createCodecChain('avro', { schema: eventSchema() });
const headers = chain.headers();
const input = freshName('one-hop.in');
await fillWithEvents(input, PARTITIONS, N, chain);

async function sluiceRound(): Promise<Sample> {
  const transport = kafkaTransport();
  try {
    const { throughput } = await runTopology(hopTopology({ from: input, to: freshName('one-hop.out'), partitions: PARTITIONS }), { transport, counted: 'hop', total: N });
    return { ...throughput };
  } finally {
    await transport.close();
  }
}

async function rawRound(): Promise<Sample> {
  const throughput = await runHops(
    [
      {
        kafka: rawKafka('bench-raw-hop'),
        groupId: freshName('one-hop.raw'),
        from: input,
        to: freshName('one-hop.out'),
        partitions: PARTITIONS,
        headers,
        transform: (value, h) => chain.encode(enrich(chain.decode(value, { headers: h as Record<string, Buffer> }) as ShopEvent)),
      },
    ],
    N,
  );
  return { ...throughput };
}

const rounds = await alternate(
  [
    { name: 'sluice stage', round: sluiceRound },
    { name: 'kafkajs eachBatch loop', round: rawRound },
  ],
  { rounds: args.rounds },
);

// ConsumerPerformance: the broker's hand-out rate for the same records (fetch only, no map, no produce).
const perfRates: number[] = [];
for (let i = 0; i < (args.quick ? 1 : 3); i++) {
  const out = await kafkaTool('ConsumerPerformance', ['--bootstrap-server', brokers().join(','), '--topic', input, '--messages', String(N), '--group', freshName('one-hop.cp')]);
  const line = out.trim().split('\n').pop()!.split(',').map((s) => s.trim());
  perfRates.push(Number(line[9]));
}
const fetchRate = [...perfRates].sort((a, b) => a - b)[perfRates.length >> 1]!;

const sluice = rounds['sluice stage']!.median.recordsPerSecond!;
const raw = rounds['kafkajs eachBatch loop']!.median.recordsPerSecond!;
finish({
  scenario: 'one-hop',
  title: 'topic A → map → topic B (at-least-once) vs a kafkajs eachBatch + sendBatch loop',
  machine: machineInfo,
  quick: args.quick,
  params: { records: N, partitions: PARTITIONS, rounds: args.rounds, avroBytesPerRecord: meanAvroBytes(), measure: 'records/s acknowledged between 10% and 90% of the run' },
  rows: [
    versus('records/s through the hop', 'records/s', sluice, 'kafkajs eachBatch loop', raw, { min: 0.85 }),
    versus('records/s through the hop vs the fetch ceiling', 'records/s', sluice, 'ConsumerPerformance fetch.nMsg.sec', fetchRate),
    figure('kafkajs loop vs the fetch ceiling', 'x', raw / fetchRate),
    versus('CPU of the process per record (lower is leaner)', 'µs', rounds['sluice stage']!.median.cpuMicrosPerRecord!, 'kafkajs eachBatch loop', rounds['kafkajs eachBatch loop']!.median.cpuMicrosPerRecord!),
  ],
  rounds: { ...rounds, ConsumerPerformance: { samples: perfRates.map((r) => ({ fetchRecordsPerSecond: r })), median: { fetchRecordsPerSecond: fetchRate } } },
});
