/**
 * Scenario 1, the codec chain in memory: `avro|lz4|base64` in batches of
 * 1,000, encode and its inverse, through sluice's Transform streams
 * (createEncodeStream, createDecodeStream) against the same pure functions
 * (encodeBatch, decodeBatch) in a plain loop, in one process. JSON.stringify
 * of each record runs alongside as a reference. Figures are records/s by wall
 * clock and per CPU-second (a core's worth, whatever else shared the machine).
 *
 *     npx tsx bench/scenarios/codecs.ts [--quick] [--rounds 5] [--records 1000000] [--pool 10000]
 *
 * `--pool` is how many distinct records cycle (10,000: ~4 MB of objects, in
 * cache as a pipeline's previous step would leave them).
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createCodecChain, createDecodeStream, createEncodeStream } from '../../src/codecs/index.ts';
import { scenarioArgs } from '../harness/args.ts';
import { elapsed, startClock, type Elapsed } from '../harness/clock.ts';
import { machine } from '../harness/machine.ts';
import { eventSchema, makeEvents, meanAvroBytes } from '../harness/records.ts';
import { figure, finish, versus } from '../harness/report.ts';
import { alternate, type Sample } from '../harness/rounds.ts';

const args = scenarioArgs({ records: { full: 1_000_000, quick: 100_000 }, pool: { full: 10_000, quick: 10_000 } });
const RECORDS = args.records;
const BATCH = 1_000;
const SPEC = 'avro|lz4|base64';
const machineInfo = machine();

const schema = eventSchema();
const chain = createCodecChain(SPEC, { schema });
const pool = makeEvents(args.pool);
const batches: unknown[][] = [];
for (let i = 0; i < pool.length; i += BATCH) batches.push(pool.slice(i, i + BATCH));
const encoded = batches.map((b) => chain.encodeBatch(b));
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

function encodeLoop(): number {
  let bytes = 0;
  for (let b = 0; b < batches.length; b++) bytes += chain.encodeBatch(batches[b]!).length;
  return bytes;
}

function decodeLoop(): number {
  let n = 0;
  for (let b = 0; b < encoded.length; b++) n += chain.decodeBatch(encoded[b]!).length;
  return n;
}

function jsonLoop(): number {
  let chars = 0;
  for (let i = 0; i < pool.length; i++) chars += JSON.stringify(pool[i]).length;
  return chars;
}

/** Pushes `items` round after round into `through`, counting what comes out. */
async function streamed(items: readonly unknown[], through: NodeJS.ReadWriteStream, measure: (chunk: unknown) => number): Promise<Sample> {
  const clock = startClock();
  let sent = 0;
  const total = perRound * items.length;
  let bytes = 0;
  const source = new Readable({
    objectMode: true,
    highWaterMark: 1_024,
    read() {
      while (sent < total) if (!this.push(items[sent++ % items.length])) return;
      this.push(null);
    },
  });
  const sink = new Writable({
    objectMode: true,
    highWaterMark: 1_024,
    write(chunk: unknown, _encoding, callback) {
      bytes += measure(chunk);
      callback();
    },
  });
  await pipeline(source, through, sink);
  return sample(elapsed(clock), bytes);
}

const rounds = await alternate(
  [
    { name: 'encode loop', round: async () => loop(encodeLoop) },
    {
      name: 'encode stream',
      round: () => streamed(pool, createEncodeStream(chain, { items: 'values', batchSize: BATCH, highWaterMark: 1_024 }), (b) => (b as Buffer).length),
    },
    { name: 'decode loop', round: async () => loop(decodeLoop) },
    {
      name: 'decode stream',
      round: () => streamed(encoded, createDecodeStream(chain, { items: 'values', batches: true, highWaterMark: 1_024 }), () => 1),
    },
    { name: 'JSON.stringify', round: async () => loop(jsonLoop) },
  ],
  { rounds: args.rounds },
);

const m = (name: string) => rounds[name]!.median;
const avroBytes = meanAvroBytes();
finish({
  scenario: 'codecs',
  title: `codec chain ${SPEC} in memory: Transform streams vs the same functions in a loop`,
  machine: machineInfo,
  quick: args.quick,
  params: { chain: SPEC, batch: BATCH, recordsPerRound: records, pool: pool.length, rounds: args.rounds, avroBytesPerRecord: Number(avroBytes.toFixed(1)) },
  rows: [
    versus('encode: stream vs loop', 'records/s', m('encode stream').recordsPerSecond!, 'encode loop', m('encode loop').recordsPerSecond!, { min: 0.7 }),
    versus('decode: stream vs loop', 'records/s', m('decode stream').recordsPerSecond!, 'decode loop', m('decode loop').recordsPerSecond!, { min: 0.7 }),
    figure('encode loop per core', 'records/CPU-s', m('encode loop').recordsPerCpuSecond!, { min: 2_000_000 }),
    figure('encode stream per core', 'records/CPU-s', m('encode stream').recordsPerCpuSecond!, { min: 2_000_000 }),
    figure('decode loop per core', 'records/CPU-s', m('decode loop').recordsPerCpuSecond!),
    versus('encode loop vs JSON.stringify (reference)', 'records/s', m('encode loop').recordsPerSecond!, 'JSON.stringify', m('JSON.stringify').recordsPerSecond!),
    figure('bytes/record after the chain', 'bytes', m('encode loop').bytesPerRecord!),
  ],
  rounds,
  notes: [`${avroBytes.toFixed(1)} bytes of Avro per record; JSON.stringify makes ${m('JSON.stringify').bytesPerRecord!.toFixed(1)} characters`],
});
