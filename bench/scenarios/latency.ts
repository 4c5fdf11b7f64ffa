/**
 * Scenario 5, latency: the one-hop stage and the hand-written kafkajs loop,
 * each fed at the same offered rate (half the sustainable rate scenario 3
 * measured for sluice), records stamped with the time they are sent.
 * Latency is from that timestamp (both hops keep it) to the moment a reader
 * of the output topic has the record: p50, p99, p99.9. Kafka's
 * EndToEndLatency tool gives the broker's own round trip for the same size.
 *
 *     npx tsx bench/scenarios/latency.ts [--quick] [--rounds 5] [--seconds 6] [--rate N]
 *
 * The offered load (a paced producer and the reader) runs in a child process,
 * so it does not take the hop's CPU or event loop.
 *
 * Without --rate the rate is half of the newest one-hop result's sluice
 * figure (10,000 records/s when there is none).
 */
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Message } from 'kafkajs';
import { createCodecChain } from '../../src/codecs/index.ts';
import type { TopologyRun } from '../../src/runtime/index.ts';
import { scenarioArgs } from '../harness/args.ts';
import { answer, runChild } from '../harness/child.ts';
import { brokers, brokerVersion, createTopic, freshName, kafkaTool, rawKafka, rawProducer, sendBatch } from '../harness/kafka.ts';
import { machine } from '../harness/machine.ts';
import { waitUntil } from '../harness/progress.ts';
import { RawHop } from '../harness/raw-hop.ts';
import { enrich, eventSchema, makeEvents, type ShopEvent } from '../harness/records.ts';
import { figure, finish, latestResult, versus } from '../harness/report.ts';
import { alternate, type Sample } from '../harness/rounds.ts';
import { finished, hopTopology, kafkaTransport, startTopology } from '../harness/topology.ts';

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/**
 * The load child: offers records at `rate` for `seconds` while a reader of `output`
 * records each one's age on arrival; the first tenth of the round (the hop's
 * first fetches) is left out. Returns percentiles in milliseconds.
 */
async function offer(input: string, output: string, rate: number, seconds: number): Promise<Sample> {
  const kafka = rawKafka('bench-latency-load');
  const reader = kafka.consumer({ groupId: freshName('latency.reader'), maxWaitTimeInMs: 500 });
  const ages: number[] = [];
  let arrived = 0;
  let measureFrom = Number.POSITIVE_INFINITY;
  await reader.connect();
  await reader.subscribe({ topics: [output], fromBeginning: true });
  const joined = new Promise<void>((resolve) => reader.on(reader.events.GROUP_JOIN, () => resolve()));
  await reader.run({
    eachBatch: async ({ batch }) => {
      const now = Date.now();
      for (const m of batch.messages) {
        const sent = Number(m.timestamp);
        if (sent >= measureFrom) ages.push(now - sent);
      }
      arrived += batch.messages.length;
    },
  });
  await joined;

  const producer = await rawProducer(kafka);
  const started = Date.now();
  const end = started + seconds * 1_000;
  measureFrom = started + seconds * 100;
  let sent = 0;
  while (Date.now() < end) {
    const due = Math.floor(((Date.now() - started) / 1_000) * rate) - sent;
    if (due <= 0) {
      await sleep(1);
      continue;
    }
    const timestamp = String(Date.now());
    const messages = new Array<Message>(due);
    for (let i = 0; i < due; i++) {
      const n = (sent + i) % pool.length;
      messages[i] = { key: String(pool[n]!.id), value: values[n]!, headers, timestamp };
    }
    await sendBatch(producer, input, messages);
    sent += due;
  }
  const offeredSeconds = (Date.now() - started) / 1_000;
  await producer.disconnect();
  await waitUntil(() => arrived >= sent, 120_000);
  await reader.disconnect();
  ages.sort((a, b) => a - b);
  return {
    p50Ms: percentile(ages, 0.5),
    p99Ms: percentile(ages, 0.99),
    p999Ms: percentile(ages, 0.999),
    maxMs: ages[ages.length - 1]!,
    offeredPerSecond: sent / offeredSeconds,
  };
}

const self = fileURLToPath(import.meta.url);
const chain = createCodecChain('avro', { schema: eventSchema() });
const headers = chain.headers();
const pool = makeEvents(10_000);
const values = pool.map((e) => chain.encode(e));

if (process.argv.includes('--load')) {
  const { values: o } = parseArgs({ options: { load: { type: 'boolean' }, input: { type: 'string' }, output: { type: 'string' }, rate: { type: 'string' }, seconds: { type: 'string' } } });
  answer(await offer(o.input!, o.output!, Number(o.rate), Number(o.seconds)));
  process.exit(0);
}

const FALLBACK_RATE = 10_000;
const args = scenarioArgs({ seconds: { full: 6, quick: 2 }, rate: { full: 0, quick: 0 }, partitions: { full: 3, quick: 3 } });
const P = args.partitions;
const oneHop = latestResult('one-hop', args.quick)?.rows[0]?.sluice;
const RATE = args.rate > 0 ? args.rate : oneHop !== undefined ? Math.round(oneHop / 2) : FALLBACK_RATE;
const machineInfo = machine(brokerVersion());

const kafka = rawKafka('bench-latency');

function load(input: string, output: string): Promise<Sample> {
  return runChild<Sample>(self, ['--load', '--input', input, '--output', output, '--rate', String(RATE), '--seconds', String(args.seconds)]);
}

async function topics(): Promise<{ input: string; output: string }> {
  const input = freshName('latency.in');
  await createTopic(kafka, input, P);
  return { input, output: freshName('latency.out') };
}

async function sluiceRound(): Promise<Sample> {
  const { input, output } = await topics();
  const transport = kafkaTransport();
  let run: TopologyRun | undefined;
  try {
    run = await startTopology(hopTopology({ from: input, to: output, partitions: P }), { transport, untilCaughtUp: false });
    const sample = await load(input, output);
    run.stop();
    await finished(run);
    return sample;
  } finally {
    run?.stop();
    await transport.close();
  }
}

async function rawRound(): Promise<Sample> {
  const { input, output } = await topics();
  const hop = await RawHop.start({
    kafka,
    groupId: freshName('latency.raw'),
    from: input,
    to: output,
    partitions: P,
    headers,
    transform: (value, h) => chain.encode(enrich(chain.decode(value, { headers: h as Record<string, Buffer> }) as ShopEvent)),
  });
  try {
    return await load(input, output);
  } finally {
    await hop.stop();
  }
}

console.error(`latency: offering ${RATE.toLocaleString('en')} records/s for ${args.seconds} s per round`);
const rounds = await alternate(
  [
    { name: 'sluice stage', round: sluiceRound },
    { name: 'kafkajs eachBatch loop', round: rawRound },
  ],
  { rounds: args.rounds },
);

// Kafka's own: one record at a time, produce then consume, same size, acks=all.
const e2eTopic = freshName('latency.e2e');
await createTopic(kafka, e2eTopic, 1);
const e2e = await kafkaTool('EndToEndLatency', [brokers().join(','), e2eTopic, String(args.quick ? 1_000 : 5_000), 'all', String(values[0]!.length)]);
const tool = /50th = ([\d.]+), 99th = ([\d.]+), 99\.9th = ([\d.]+)/.exec(e2e);
if (tool === null) throw new Error(`EndToEndLatency printed no percentiles:\n${e2e}`);

const s = rounds['sluice stage']!.median;
const r = rounds['kafkajs eachBatch loop']!.median;
finish({
  scenario: 'latency',
  title: `latency through one hop at ${RATE.toLocaleString('en')} records/s offered (half the sustainable rate)`,
  machine: machineInfo,
  quick: args.quick,
  params: {
    offeredPerSecond: RATE,
    rateFrom: args.rate > 0 ? '--rate' : oneHop !== undefined ? 'half of the newest one-hop sluice figure' : 'fallback',
    seconds: args.seconds,
    partitions: P,
    rounds: args.rounds,
    measure: 'ms from the record timestamp (set when sent) to arrival at a reader of the output topic; first tenth of each round left out',
  },
  rows: [
    versus('p50 latency', 'ms', s.p50Ms!, 'kafkajs eachBatch loop', r.p50Ms!),
    versus('p99 latency', 'ms', s.p99Ms!, 'kafkajs eachBatch loop', r.p99Ms!, { max: 1.5 }),
    versus('p99.9 latency', 'ms', s.p999Ms!, 'kafkajs eachBatch loop', r.p999Ms!),
    figure('EndToEndLatency p50 (JVM, one record at a time, whole ms)', 'ms', Number(tool[1])),
  ],
  rounds: { ...rounds, EndToEndLatency: { samples: [], median: { p50Ms: Number(tool[1]), p99Ms: Number(tool[2]), p999Ms: Number(tool[3]) } } },
});
