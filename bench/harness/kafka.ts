/**
 * The broker side of the scenarios: where it is, fresh names, raw kafkajs
 * clients for the baselines (with the same LZ4 record-batch codec sluice
 * registers), filling an input topic, and Kafka's own JVM perf tools run
 * from the broker's jars through scripts/kafka.sh.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import kafkajs, { type Kafka, type Message, type Producer } from 'kafkajs';
import { registerKafkaLz4Codec } from '../../src/transport/kafka/lz4-codec.ts';
import type { CodecChain } from '../../src/codecs/index.ts';
import { repoRoot } from './machine.ts';
import { makeEvents } from './records.ts';

const { CompressionTypes, logLevel, Partitioners } = kafkajs;
const run = promisify(execFile);
const script = `${repoRoot}scripts/kafka.sh`;

// kafkajs ships no LZ4: the baselines compress with the codec sluice uses, so
// both sides pay the same for it.
registerKafkaLz4Codec();

/** KAFKA_BROKERS, else the broker scripts/kafka.sh runs; fails with what to do when there is none. */
export function brokers(): string[] {
  const given = process.env.KAFKA_BROKERS;
  if (given) return given.split(',');
  try {
    return execFileSync('bash', [script, 'brokers'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split(',');
  } catch {
    throw new Error('no Kafka broker: run `npm run bench` (it starts one), or `scripts/kafka.sh start`, or set KAFKA_BROKERS');
  }
}

/** The broker's version when it is the one scripts/kafka.sh runs (its pom names it); else what is known. */
export function brokerVersion(): string {
  const pom = readFileSync(`${repoRoot}scripts/kafka/pom.xml`, 'utf8');
  const version = /<kafka\.version>(.*)<\/kafka\.version>/.exec(pom)?.[1] ?? 'unknown';
  let scripted = '';
  try {
    scripted = execFileSync('bash', [script, 'brokers'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // no broker of the script's: the one in KAFKA_BROKERS is someone else's
  }
  const given = process.env.KAFKA_BROKERS;
  return given === undefined || given === scripted ? `Apache Kafka ${version} (scripts/kafka.sh, 1 node)` : `external at ${given}`;
}

/** A topic or group name no earlier run against the same broker used. */
export function freshName(prefix: string): string {
  return `bench.${prefix}.${randomUUID().slice(0, 8)}`;
}

export function rawKafka(clientId: string): Kafka {
  return new kafkajs.Kafka({ clientId, brokers: brokers(), logLevel: logLevel.NOTHING });
}

/** What sluice's Kafka producer is: idempotent, one request in flight, Kafka's murmur2 partitioner. */
export async function rawProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}

/** acks=-1, LZ4 record batches: how every baseline and sluice send. */
export function sendBatch(producer: Producer, topic: string, messages: Message[]): Promise<unknown> {
  return producer.sendBatch({ acks: -1, compression: CompressionTypes.LZ4, topicMessages: [{ topic, messages }] });
}

/** `configs` are topic configs, e.g. `{ 'cleanup.policy': 'compact' }`. */
export async function createTopic(kafka: Kafka, topic: string, partitions: number, configs: Record<string, string> = {}): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const configEntries = Object.entries(configs).map(([name, value]) => ({ name, value }));
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1, configEntries }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

/**
 * Writes `count` messages made by `message(i)` to a new topic, 1,000 to a
 * request: the input a scenario's rounds all read.
 */
export async function fillTopic(topic: string, partitions: number, count: number, message: (i: number) => Message, configs: Record<string, string> = {}): Promise<void> {
  const kafka = rawKafka('bench-fill');
  await createTopic(kafka, topic, partitions, configs);
  const producer = await rawProducer(kafka);
  try {
    for (let start = 0; start < count; start += 1_000) {
      const messages = new Array<Message>(Math.min(1_000, count - start));
      for (let i = 0; i < messages.length; i++) messages[i] = message(start + i);
      await sendBatch(producer, topic, messages);
    }
  } finally {
    await producer.disconnect();
  }
}

/** Fills a new topic with `count` events (10,000 distinct ones, cycled) encoded by `chain`, keyed by id, with its headers. */
export async function fillWithEvents(topic: string, partitions: number, count: number, chain: CodecChain): Promise<void> {
  const events = makeEvents(Math.min(count, 10_000));
  const values = events.map((e) => chain.encode(e));
  const headers = chain.headers();
  console.error(`filling ${topic} with ${count.toLocaleString('en')} records (${chain.spec})`);
  await fillTopic(topic, partitions, count, (i) => ({ key: String(events[i % events.length]!.id), value: values[i % events.length]!, headers }));
}

/** Runs one of Kafka's JVM tools (ProducerPerformance, ConsumerPerformance, EndToEndLatency) and returns what it printed. */
export async function kafkaTool(main: string, args: string[]): Promise<string> {
  const { stdout } = await run('bash', [script, 'java', `org.apache.kafka.tools.${main}`, ...args], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 300_000,
  });
  return stdout;
}
