/**
 * Scenario 1, the codec chain in memory: `avro|lz4|base64`, on the path a
 * stage's records take: its decode and encode steps (stage-steps.ts, built
 * from a topology as a stage builds them), one record at a time, each in its
 * envelope, headers and all. Against them, in one process: the same chain's
 * `encode` / `decode` on bare values in a plain loop (what the steps add), and
 * for reference the batch framing (`encodeBatch`, 1,000 records a batch, which
 * no stage uses on topics) and JSON.stringify of each record. Figures are
 * records/s by wall clock and per CPU-second (a core's worth, whatever else
 * shared the machine).
 *
 *     npx tsx bench/scenarios/codecs.ts [--quick] [--rounds 5] [--records 1000000] [--pool 10000]
 *
 * `--pool` is how many distinct records cycle (10,000: ~4 MB of objects, in
 * cache as a pipeline's previous step would leave them).
 */
import { join } from 'node:path';
import type { SluiceRecord } from '../../src/core/index.ts';
import type { Envelope } from '../../src/runtime/envelope.ts';
import { TopologyResources } from '../../src/runtime/resources.ts';
import { topicDecodeStep, topicEncodeStep } from '../../src/runtime/stage-steps.ts';
import { loadTopology } from '../../src/topology/index.ts';
import { scenarioArgs } from '../harness/args.ts';
import { elapsed, startClock, type Elapsed } from '../harness/clock.ts';
import { machine } from '../harness/machine.ts';
import { eventSchemaJson, makeEvents, meanAvroBytes } from '../harness/records.ts';
import { figure, finish, versus } from '../harness/report.ts';
import { alternate, type Sample } from '../harness/rounds.ts';
import { writeFolder } from '../harness/topology.ts';

const args = scenarioArgs({ records: { full: 1_000_000, quick: 100_000 }, pool: { full: 10_000, quick: 10_000 } });
const RECORDS = args.records;
const BATCH = 1_000;
const SPEC = 'avro|lz4|base64';
const machineInfo = machine();

// A stage reading one topic and writing another, both with the chain: its steps are what this measures.
const dir = writeFolder({
  'schemas/event.avsc': JSON.stringify(eventSchemaJson),
  'topology.yaml': `
name: codecs
schemas: { ShopEvent: ./schemas/event.avsc }
topics:
  events.in: { schema: ShopEvent, codec: "${SPEC}" }
  events.out: { schema: ShopEvent, codec: "${SPEC}" }
nodes:
  hop: { from: events.in, to: events.out }
`,
});
const topology = await loadTopology(join(dir, 'topology.yaml'));
const resources = await TopologyResources.load(topology);
const node = topology.nodes.find((n) => n.id === 'hop')!;
const decodeStep = topicDecodeStep(node, ['events.in'], resources).fn;
const encodeStep = topicEncodeStep(node, resources).fn;
const chain = resources.chain(SPEC, 'ShopEvent');
// As the consumer hands them over: the codec headers the topic's records carry, as bytes.
const consumedHeaders = Object.fromEntries(Object.entries(chain.headers()).map(([name, value]) => [name, Buffer.from(value)]));

const pool = makeEvents(args.pool);
const batches: unknown[][] = [];
for (let i = 0; i < pool.length; i += BATCH) batches.push(pool.slice(i, i + BATCH));
const encoded = pool.map((v) => chain.encode(v));
const perRound = Math.ceil(RECORDS / pool.length);
const records = perRound * pool.length;

function sample(time: Elapsed, bytes: number): Sample {
  return { recordsPerSecond: records / time.seconds, recordsPerCpuSecond: records / time.cpuSeconds, bytesPerRecord: bytes / records };
}

function loop(step: () => number): Sample {
  const clock = startClock();
  let bytes = 0;
  for (let r = 0; r < perRound; r++) bytes += step();
  return sample(elapsed(clock), bytes);
}

/** A record in its envelope as the topic source makes it. */
function envelope(value: unknown): Envelope {
  const record: SluiceRecord = { key: null, value, headers: consumedHeaders, timestamp: 0, topic: 'events.in', partition: 0, offset: '0' };
  return { record, token: undefined, origin: { topic: 'events.in', partition: 0, offset: '0', rawKey: null, rawValue: null, rawHeaders: consumedHeaders, timestamp: 0 } };
}

function encodeStepLoop(): number {
  let bytes = 0;
  for (let i = 0; i < pool.length; i++) {
    const env = envelope(pool[i]);
    encodeStep(env);
    bytes += (env.record.value as Buffer).length;
  }
  return bytes;
}

function decodeStepLoop(): number {
  let n = 0;
  for (let i = 0; i < encoded.length; i++) {
    const env = envelope(encoded[i]);
    decodeStep(env);
    if (env.record.value !== null) n++;
  }
  return n;
}

function encodeLoop(): number {
  let bytes = 0;
  for (let i = 0; i < pool.length; i++) bytes += chain.encode(pool[i]).length;
  return bytes;
}

function decodeLoop(): number {
  let n = 0;
  for (let i = 0; i < encoded.length; i++) if (chain.decode(encoded[i]!) !== null) n++;
  return n;
}

function encodeBatchLoop(): number {
  let bytes = 0;
  for (let b = 0; b < batches.length; b++) bytes += chain.encodeBatch(batches[b]!).length;
  return bytes;
}

function jsonLoop(): number {
  let chars = 0;
  for (let i = 0; i < pool.length; i++) chars += JSON.stringify(pool[i]).length;
  return chars;
}

const rounds = await alternate(
  [
    { name: 'encode step', round: async () => loop(encodeStepLoop) },
    { name: 'encode loop', round: async () => loop(encodeLoop) },
    { name: 'decode step', round: async () => loop(decodeStepLoop) },
    { name: 'decode loop', round: async () => loop(decodeLoop) },
    { name: 'encodeBatch', round: async () => loop(encodeBatchLoop) },
    { name: 'JSON.stringify', round: async () => loop(jsonLoop) },
  ],
  { rounds: args.rounds },
);

const m = (name: string) => rounds[name]!.median;
const avroBytes = meanAvroBytes();
finish({
  scenario: 'codecs',
  title: `codec chain ${SPEC} in memory: a stage's decode and encode steps, per record, vs the same chain in a loop`,
  machine: machineInfo,
  quick: args.quick,
  params: { chain: SPEC, batch: BATCH, recordsPerRound: records, pool: pool.length, rounds: args.rounds, avroBytesPerRecord: Number(avroBytes.toFixed(1)) },
  rows: [
    versus('encode: stage step vs chain.encode loop', 'records/s', m('encode step').recordsPerSecond!, 'encode loop', m('encode loop').recordsPerSecond!, { min: 0.7 }),
    versus('decode: stage step vs chain.decode loop', 'records/s', m('decode step').recordsPerSecond!, 'decode loop', m('decode loop').recordsPerSecond!, { min: 0.7 }),
    figure('encode step per core', 'records/CPU-s', m('encode step').recordsPerCpuSecond!, { min: 2_000_000 }),
    figure('decode step per core', 'records/CPU-s', m('decode step').recordsPerCpuSecond!),
    versus('encode step vs encodeBatch of 1,000 (reference: batch framing, no stage uses it)', 'records/s', m('encode step').recordsPerSecond!, 'encodeBatch', m('encodeBatch').recordsPerSecond!),
    versus('encode loop vs JSON.stringify (reference)', 'records/s', m('encode loop').recordsPerSecond!, 'JSON.stringify', m('JSON.stringify').recordsPerSecond!),
    figure('bytes/record after the chain', 'bytes', m('encode step').bytesPerRecord!),
  ],
  rounds,
  notes: [`${avroBytes.toFixed(1)} bytes of Avro per record; JSON.stringify makes ${m('JSON.stringify').bytesPerRecord!.toFixed(1)} characters`],
});
