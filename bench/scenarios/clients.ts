/**
 * The two Kafka clients side by side (issue 14): a raw produce loop and a raw
 * consume loop on kafkajs and on @platformatic/kafka, then the same through
 * sluice's Transport on each driver. Produce: small records (~100 bytes of
 * JSON, a key), batches of 1,000, one batch in flight (as sluice's Batcher
 * sends), acks=-1, idempotent, LZ4, each round to a fresh topic. Consume: a
 * topic of the same records read from the beginning by a fresh group each
 * round, no commits. Figures: records/s and the process's CPU µs per record.
 *
 *     npx tsx bench/scenarios/clients.ts [--quick] [--rounds 5] [--records 200000]
 */
import { Consumer as PlatformaticConsumer, MessagesStreamModes, Producer as PlatformaticProducer } from '@platformatic/kafka';
import type { Message } from 'kafkajs';
import { silentLogger } from '../../src/core/index.ts';
import { createSourceStream, createTransport, partitionForKey, type KafkaClient, type OutgoingRecord } from '../../src/transport/index.ts';
import { scenarioArgs } from '../harness/args.ts';
import { brokers, brokerVersion, createTopic, fillTopic, freshName, rawKafka, rawProducer, sendBatch } from '../harness/kafka.ts';
import { elapsed, startClock } from '../harness/clock.ts';
import { machine } from '../harness/machine.ts';
import { finish, versus } from '../harness/report.ts';
import { alternate, type Sample } from '../harness/rounds.ts';

const args = scenarioArgs({ records: { full: 200_000, quick: 20_000 }, partitions: { full: 3, quick: 3 } });
const N = args.records;
const BATCH = 1_000;
const machineInfo = machine(brokerVersion());
const raw = rawKafka('bench-clients');

const values = Array.from({ length: 1_000 }, (_, i) => Buffer.from(JSON.stringify({ id: i, user: `u-${i % 97}`, page: `/p/${i % 13}`, ts: 1_700_000_000_000 + i, n: 'x'.repeat(24) })));
const keys = Array.from({ length: 1_000 }, (_, i) => Buffer.from(`k${i}`));

function sample(clock: ReturnType<typeof startClock>): Sample {
  const { seconds, cpuSeconds } = elapsed(clock);
  return { recordsPerSecond: N / seconds, cpuMicrosPerRecord: (cpuSeconds * 1e6) / N };
}

async function freshTopic(): Promise<string> {
  const topic = freshName('clients');
  await createTopic(raw, topic, args.partitions);
  return topic;
}

async function kafkajsProduce(): Promise<Sample> {
  const topic = await freshTopic();
  const producer = await rawProducer(raw);
  const clock = startClock();
  for (let start = 0; start < N; start += BATCH) {
    const messages = new Array<Message>(Math.min(BATCH, N - start));
    for (let i = 0; i < messages.length; i++) messages[i] = { key: keys[(start + i) % 1_000]!, value: values[(start + i) % 1_000]! };
    await sendBatch(producer, topic, messages);
  }
  const s = sample(clock);
  await producer.disconnect();
  return s;
}

async function platformaticProduce(): Promise<Sample> {
  const topic = await freshTopic();
  const producer = new PlatformaticProducer<Buffer, Buffer, Buffer, Buffer>({
    clientId: 'bench-clients',
    bootstrapBrokers: brokers(),
    idempotent: true,
    acks: -1,
    compression: 'lz4',
  });
  const clock = startClock();
  for (let start = 0; start < N; start += BATCH) {
    // Partitions chosen as the driver chooses them (Kafka's murmur2), and as kafkajs' default partitioner does.
    const messages = new Array<{ topic: string; key: Buffer; value: Buffer; partition: number }>(Math.min(BATCH, N - start));
    for (let i = 0; i < messages.length; i++) {
      const key = keys[(start + i) % 1_000]!;
      messages[i] = { topic, key, value: values[(start + i) % 1_000]!, partition: partitionForKey(key, args.partitions) };
    }
    await producer.send({ messages });
  }
  const s = sample(clock);
  await producer.close();
  return s;
}

function transportOf(client: KafkaClient) {
  return createTransport({ brokers: brokers(), clientId: `bench-clients-${client}`, logger: silentLogger, client });
}

async function transportProduce(client: KafkaClient): Promise<Sample> {
  const topic = await freshTopic();
  const transport = transportOf(client);
  const producer = await transport.producer();
  const clock = startClock();
  for (let start = 0; start < N; start += 10_000) {
    const records = new Array<OutgoingRecord>(Math.min(10_000, N - start));
    for (let i = 0; i < records.length; i++) records[i] = { topic, key: keys[(start + i) % 1_000]!, value: values[(start + i) % 1_000]! };
    await producer.send(records);
  }
  const s = sample(clock);
  await producer.close();
  await transport.close();
  return s;
}

/** The consume rounds' input: written once. */
const input = freshName('clients-input');
await fillTopic(input, args.partitions, N, (i) => ({ key: keys[i % 1_000]!, value: values[i % 1_000]! }));

async function kafkajsConsume(): Promise<Sample> {
  const consumer = raw.consumer({ groupId: freshName('clients-kafkajs'), maxWaitTimeInMs: 500 });
  await consumer.connect();
  await consumer.subscribe({ topics: [input], fromBeginning: true });
  let clock = startClock();
  let count = 0;
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          if (count === 0) clock = startClock();
          count += batch.messages.length;
          if (count >= N) resolve();
        },
      })
      .catch(reject);
  });
  const s = sample(clock);
  await consumer.disconnect();
  return s;
}

async function platformaticConsume(): Promise<Sample> {
  const consumer = new PlatformaticConsumer<Buffer, Buffer, Buffer, Buffer>({ clientId: 'bench-clients', bootstrapBrokers: brokers(), groupId: freshName('clients-platformatic'), maxWaitTime: 500 });
  const stream = await consumer.consume({ topics: [input], mode: MessagesStreamModes.EARLIEST, autocommit: false });
  let clock = startClock();
  let count = 0;
  for await (const _message of stream) {
    if (count === 0) clock = startClock();
    if (++count >= N) break;
  }
  const s = sample(clock);
  await stream.close();
  await consumer.close(true);
  return s;
}

async function transportConsume(client: KafkaClient): Promise<Sample> {
  const transport = transportOf(client);
  const consumer = await transport.consumer({ groupId: freshName(`clients-sluice-${client}`), topics: [input], fromBeginning: true });
  const stream = await createSourceStream(consumer);
  let clock = startClock();
  let count = 0;
  for await (const _record of stream.iterator({ destroyOnReturn: false })) {
    if (count === 0) clock = startClock();
    if (++count >= N) break;
  }
  const s = sample(clock);
  await consumer.disconnect();
  await transport.close();
  return s;
}

console.error(`produce: ${N.toLocaleString('en')} records, batches of ${BATCH}`);
const produced = await alternate(
  [
    { name: 'kafkajs sendBatch loop', round: kafkajsProduce },
    { name: '@platformatic/kafka send loop', round: platformaticProduce },
    { name: 'sluice producer on kafkajs', round: () => transportProduce('kafkajs') },
    { name: 'sluice producer on platformatic', round: () => transportProduce('platformatic') },
  ],
  { rounds: args.rounds },
);
console.error(`consume: ${N.toLocaleString('en')} records from ${input}`);
const consumed = await alternate(
  [
    { name: 'kafkajs eachBatch loop', round: kafkajsConsume },
    { name: '@platformatic/kafka stream loop', round: platformaticConsume },
    { name: 'sluice consumer on kafkajs', round: () => transportConsume('kafkajs') },
    { name: 'sluice consumer on platformatic', round: () => transportConsume('platformatic') },
  ],
  { rounds: args.rounds },
);

const rate = (o: typeof produced, name: string) => o[name]!.median.recordsPerSecond!;
const cpu = (o: typeof produced, name: string) => o[name]!.median.cpuMicrosPerRecord!;
finish({
  scenario: 'clients',
  title: 'kafkajs vs @platformatic/kafka: raw loops and sluice on each (acks=-1, idempotent, LZ4, 1,000 per batch)',
  machine: machineInfo,
  quick: args.quick,
  params: { records: N, batch: BATCH, partitions: args.partitions, rounds: args.rounds, valueBytes: values[0]!.length, measure: 'records/s and CPU µs per record of the process, medians over rounds' },
  rows: [
    versus('produce records/s, raw loops', 'records/s', rate(produced, '@platformatic/kafka send loop'), 'kafkajs sendBatch loop', rate(produced, 'kafkajs sendBatch loop')),
    versus('produce CPU per record, raw loops', 'µs', cpu(produced, '@platformatic/kafka send loop'), 'kafkajs sendBatch loop', cpu(produced, 'kafkajs sendBatch loop')),
    versus('produce records/s, sluice producer', 'records/s', rate(produced, 'sluice producer on platformatic'), 'sluice producer on kafkajs', rate(produced, 'sluice producer on kafkajs')),
    versus('produce CPU per record, sluice producer', 'µs', cpu(produced, 'sluice producer on platformatic'), 'sluice producer on kafkajs', cpu(produced, 'sluice producer on kafkajs')),
    versus('consume records/s, raw loops', 'records/s', rate(consumed, '@platformatic/kafka stream loop'), 'kafkajs eachBatch loop', rate(consumed, 'kafkajs eachBatch loop')),
    versus('consume CPU per record, raw loops', 'µs', cpu(consumed, '@platformatic/kafka stream loop'), 'kafkajs eachBatch loop', cpu(consumed, 'kafkajs eachBatch loop')),
    versus('consume records/s, sluice consumer', 'records/s', rate(consumed, 'sluice consumer on platformatic'), 'sluice consumer on kafkajs', rate(consumed, 'sluice consumer on kafkajs')),
    versus('consume CPU per record, sluice consumer', 'µs', cpu(consumed, 'sluice consumer on platformatic'), 'sluice consumer on kafkajs', cpu(consumed, 'sluice consumer on kafkajs')),
  ],
  rounds: { ...produced, ...consumed },
});
