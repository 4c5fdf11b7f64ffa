/**
 * Scenario 2, publishing: sluice's Publisher as `sluice publish` runs it
 * (values → checked, Avro-encoded, keyed records → the acknowledged sink
 * stream) against a hand-written kafkajs `sendBatch` loop writing the same
 * messages (Avro bytes, key, the chain's headers), both in batches of 1,000
 * with acks=-1, the idempotent producer and LZ4 record batches, each round to
 * a fresh topic. Then Kafka's own ProducerPerformance with the same record
 * size, acks, idempotence, compression and batch: the broker's ceiling here.
 *
 *     npx tsx bench/scenarios/publish.ts [--quick] [--rounds 5] [--records 200000]
 */
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Message } from 'kafkajs';
import { createCodecChain } from '../../src/codecs/index.ts';
import { createPublisher } from '../../src/runtime/publisher.ts';
import { scenarioArgs } from '../harness/args.ts';
import { brokers, brokerVersion, createTopic, freshName, kafkaTool, rawKafka, rawProducer, sendBatch } from '../harness/kafka.ts';
import { machine } from '../harness/machine.ts';
import { eventSchema, makeEvents, meanAvroBytes } from '../harness/records.ts';
import { figure, finish, versus } from '../harness/report.ts';
import { alternate, median, type Sample } from '../harness/rounds.ts';
import { kafkaTransport } from '../harness/topology.ts';

const args = scenarioArgs({ records: { full: 200_000, quick: 20_000 }, partitions: { full: 3, quick: 3 } });
const N = args.records;
const BATCH = 1_000;
const machineInfo = machine(brokerVersion());

const schema = eventSchema();
const pool = makeEvents(10_000);
const recordBytes = Math.round(meanAvroBytes());
const transport = kafkaTransport('bench-publish');
const raw = rawKafka('bench-publish-raw');

function* values(): Generator<unknown> {
  for (let i = 0; i < N; i++) yield pool[i % pool.length];
}

async function freshTopic(): Promise<string> {
  const topic = freshName('publish');
  await createTopic(raw, topic, args.partitions);
  return topic;
}

async function sluiceRound(): Promise<Sample> {
  const topic = await freshTopic();
  const pub = await createPublisher({ transport, topic, schema, key: 'id', producer: { batchCount: BATCH } });
  // As `sluice publish` runs it: values become records ahead of the sink, so encoding overlaps the batch in flight.
  const toRecords = new Transform({
    objectMode: true,
    highWaterMark: BATCH,
    transform: (value: unknown, _encoding, callback) => callback(null, pub.toRecord(value)),
  });
  const started = performance.now();
  await pipeline(Readable.from(values(), { highWaterMark: BATCH }), toRecords, pub.sink());
  const seconds = (performance.now() - started) / 1_000;
  const { acknowledged } = await pub.close();
  if (acknowledged !== N) throw new Error(`sluice acknowledged ${acknowledged} of ${N}`);
  return { recordsPerSecond: N / seconds };
}

async function rawRound(): Promise<Sample> {
  const topic = await freshTopic();
  const producer = await rawProducer(raw);
  // The same headers sluice writes (chain, schema name and fingerprint): the same messages.
  const headers = createCodecChain('avro', { schema }).headers();
  const started = performance.now();
  for (let start = 0; start < N; start += BATCH) {
    const messages = new Array<Message>(Math.min(BATCH, N - start));
    for (let i = 0; i < messages.length; i++) {
      const v = pool[(start + i) % pool.length]!;
      messages[i] = { key: String(v.id), value: schema.type.toBuffer(v), headers };
    }
    await sendBatch(producer, topic, messages);
  }
  const seconds = (performance.now() - started) / 1_000;
  await producer.disconnect();
  return { recordsPerSecond: N / seconds };
}

const rounds = await alternate(
  [
    { name: 'sluice publisher', round: sluiceRound },
    { name: 'kafkajs sendBatch loop', round: rawRound },
  ],
  { rounds: args.rounds },
);
await transport.close();

// The JVM producer with the same settings; its own figure excludes the JVM's start.
const jvm: number[] = [];
for (let i = 0; i < (args.quick ? 1 : 3); i++) {
  const topic = await freshTopic();
  const out = await kafkaTool('ProducerPerformance', [
    '--topic', topic,
    '--num-records', String(N),
    '--record-size', String(recordBytes),
    '--throughput', '-1',
    '--producer-props', `bootstrap.servers=${brokers().join(',')}`, 'acks=all', 'enable.idempotence=true', 'compression.type=lz4',
    `batch.size=${BATCH * (recordBytes + 64)}`, 'linger.ms=5',
  ]);
  const summary = /(\d+) records sent, ([\d.]+) records\/sec/.exec(out.trim().split('\n').pop() ?? '');
  if (summary === null) throw new Error(`ProducerPerformance printed no summary:\n${out}`);
  jvm.push(Number(summary[2]));
  console.error(`  ProducerPerformance: ${Math.round(Number(summary[2])).toLocaleString('en')} records/s`);
}

const sluice = rounds['sluice publisher']!.median.recordsPerSecond!;
const baseline = rounds['kafkajs sendBatch loop']!.median.recordsPerSecond!;
const ceiling = median(jvm);
finish({
  scenario: 'publish',
  title: 'sluice publisher vs a kafkajs sendBatch loop (acks=-1, idempotent, LZ4, 1,000 per batch)',
  machine: machineInfo,
  quick: args.quick,
  params: { records: N, batch: BATCH, partitions: args.partitions, rounds: args.rounds, avroBytesPerRecord: recordBytes, measure: 'records/s from the first write to the last acknowledgement' },
  rows: [
    versus('records/s acknowledged', 'records/s', sluice, 'kafkajs sendBatch loop', baseline, { min: 0.9 }),
    versus('records/s acknowledged vs the JVM producer', 'records/s', sluice, 'ProducerPerformance', ceiling),
    figure('kafkajs loop vs the JVM producer', 'x', baseline / ceiling),
  ],
  rounds: { ...rounds, ProducerPerformance: { samples: jvm.map((r) => ({ recordsPerSecond: r })), median: { recordsPerSecond: ceiling } } },
  notes: ['ProducerPerformance sends random bytes of the same size (not Avro), so LZ4 compresses them differently'],
});
