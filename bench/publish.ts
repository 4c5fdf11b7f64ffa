/**
 * Publishing to a real broker: sluice's Publisher (the path `sluice publish`
 * takes: schema check, avro chain, headers, key, acknowledged sink stream)
 * against a raw kafkajs `sendBatch` loop doing the least that writes the
 * same messages (avsc toBuffer, same key), both with batches of 1,000,
 * acks=-1, the idempotent producer and LZ4 record batches. Warm-up, then
 * rounds alternating the two, median of each, a fresh topic per run.
 * Appends one JSON line to bench/results/publish.jsonl.
 *
 *     npx tsx bench/publish.ts [--rounds 5] [--records 200000]
 *
 * Brokers: KAFKA_BROKERS, else `scripts/kafka.sh brokers`.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import kafkajs from 'kafkajs';
import { silentLogger } from '../src/core/index.ts';
import { createCodecChain, schemaFromJson } from '../src/codecs/index.ts';
import { createPublisher } from '../src/runtime/publisher.ts';
import { createTransport } from '../src/transport/index.ts';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, records: { type: 'string', default: '200000' } },
});
const ROUNDS = Number(args.rounds);
const RECORDS = Number(args.records);
const BATCH = 1_000;
const PARTITIONS = 3;

const root = fileURLToPath(new URL('..', import.meta.url));
const brokers = (
  process.env.KAFKA_BROKERS ?? execFileSync('bash', [`${root}/scripts/kafka.sh`, 'brokers'], { encoding: 'utf8' })
)
  .trim()
  .split(',');

const schema = schemaFromJson({
  type: 'record',
  name: 'User',
  namespace: 'bench',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'name', type: 'string' },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'country', type: 'string' },
    { name: 'score', type: 'double' },
  ],
});

const values = Array.from({ length: RECORDS }, (_, i) => ({
  id: i,
  name: `user number ${i}`,
  email: i % 4 === 0 ? null : `user${i}@example.com`,
  country: ['NL', 'DE', 'FR', 'JP'][i % 4]!,
  score: i / 3,
}));

const transport = createTransport({ brokers, clientId: 'bench-publish', logger: silentLogger });
const raw = new kafkajs.Kafka({ clientId: 'bench-raw', brokers, logLevel: kafkajs.logLevel.NOTHING });

async function freshTopic(): Promise<string> {
  const name = `bench-publish-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  await transport.createTopics([{ name, partitions: PARTITIONS }]);
  return name;
}

/** Records per second for one run of `sluice publish`'s publisher. */
async function sluiceRun(): Promise<number> {
  const topic = await freshTopic();
  const pub = await createPublisher({ transport, topic, schema, key: 'id', producer: { batchCount: BATCH } });
  // As `sluice publish` runs it: values made into records ahead of the
  // sink, so encoding overlaps the batch in flight.
  const toRecords = new Transform({
    objectMode: true,
    highWaterMark: BATCH,
    transform: (value: unknown, _encoding, callback) => callback(null, pub.toRecord(value)),
  });
  const started = performance.now();
  await pipeline(Readable.from(values, { highWaterMark: BATCH }), toRecords, pub.sink());
  const seconds = (performance.now() - started) / 1_000;
  const { acknowledged } = await pub.close();
  if (acknowledged !== RECORDS) throw new Error(`sluice acknowledged ${acknowledged} of ${RECORDS}`);
  return RECORDS / seconds;
}

/** Records per second for a raw kafkajs sendBatch loop. */
async function rawRun(): Promise<number> {
  const topic = await freshTopic();
  const producer = raw.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
  await producer.connect();
  // The same headers sluice writes (codec chain, schema name and fingerprint): the same messages.
  const headers = createCodecChain('avro', { schema }).headers();
  const started = performance.now();
  for (let start = 0; start < RECORDS; start += BATCH) {
    const messages = [];
    for (let i = start; i < Math.min(start + BATCH, RECORDS); i++) {
      const v = values[i]!;
      messages.push({ key: String(v.id), value: schema.type.toBuffer(v), headers });
    }
    await producer.sendBatch({ acks: -1, compression: kafkajs.CompressionTypes.LZ4, topicMessages: [{ topic, messages }] });
  }
  const seconds = (performance.now() - started) / 1_000;
  await producer.disconnect();
  return RECORDS / seconds;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

// Warm-up: JIT, connections, the broker's page cache.
await sluiceRun();
await rawRun();

const sluice: number[] = [];
const baseline: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  // Alternate who goes first, so neither always gets a warmer broker.
  if (round % 2 === 0) {
    sluice.push(await sluiceRun());
    baseline.push(await rawRun());
  } else {
    baseline.push(await rawRun());
    sluice.push(await sluiceRun());
  }
}
await transport.close();

const result = {
  bench: 'publish',
  date: new Date().toISOString(),
  commit: execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim(),
  node: process.version,
  cpus: cpus().length,
  records: RECORDS,
  batch: BATCH,
  partitions: PARTITIONS,
  rounds: ROUNDS,
  sluiceRecordsPerSec: Math.round(median(sluice)),
  rawKafkajsRecordsPerSec: Math.round(median(baseline)),
  ratio: Number((median(sluice) / median(baseline)).toFixed(3)),
  sluiceRuns: sluice.map(Math.round),
  rawRuns: baseline.map(Math.round),
};
console.log(`sluice publisher   ${result.sluiceRecordsPerSec.toLocaleString('en')} records/s (median of ${ROUNDS})`);
console.log(`raw kafkajs loop   ${result.rawKafkajsRecordsPerSec.toLocaleString('en')} records/s (median of ${ROUNDS})`);
console.log(`ratio              ${result.ratio}x (goal >= 0.9x)`);
mkdirSync(`${root}/bench/results`, { recursive: true });
appendFileSync(`${root}/bench/results/publish.jsonl`, JSON.stringify(result) + '\n');
