/**
 * Codec chain throughput: `avro|lz4|base64` over ~100-byte records in
 * batches of 1,000 (encode direction), against JSON.stringify alone in the
 * same run; and the Transform-stream wrapper against a plain loop over the
 * same pure functions. Warm-up, then rounds alternating the scenarios, median
 * of each. Appends one JSON line to bench/results/codecs.jsonl.
 *
 *     npx tsx bench/codecs.ts [--rounds 7] [--records 1000000] [--pool 10000]
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createCodecChain, createEncodeStream, schemaFromJson } from '../src/codecs/index.ts';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    records: { type: 'string', default: '1000000' },
    pool: { type: 'string', default: '10000' },
  },
});
const ROUNDS = Number(args.rounds);
const RECORDS = Number(args.records);
/**
 * Distinct records cycled through. In a pipeline the records an encode step
 * sees were just made by the step before, so they are in cache: 10,000 (about
 * 3 MB of objects) models that. A larger pool measures records that come cold
 * from memory.
 */
const POOL = Number(args.pool);
const BATCH = 1_000;
const SPEC = 'avro|lz4|base64';

const schema = schemaFromJson({
  type: 'record',
  name: 'Event',
  namespace: 'bench',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'user', type: 'string' },
    { name: 'email', type: 'string' },
    { name: 'country', type: 'string' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['VIEW', 'CLICK', 'BUY', 'REFUND'] } },
    { name: 'amount', type: 'double' },
    { name: 'session', type: 'string' },
    { name: 'page', type: ['null', 'string'], default: null },
    { name: 'device', type: 'string' },
  ],
});

/** Deterministic pseudo-random data (mulberry32), so every run encodes the same records. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function makeRecords(count: number): unknown[] {
  const random = rng(42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const names = ['ana', 'bo', 'chen', 'dara', 'eli', 'femi', 'gus', 'hana', 'ivo', 'jun'];
  const domains = ['example.com', 'mail.test', 'corp.example'];
  const countries = ['DE', 'FR', 'US', 'CN', 'BR', 'IN', 'JP'];
  const kinds = ['VIEW', 'CLICK', 'BUY', 'REFUND'];
  const pages = [null, '/home', '/cart', '/product/1234', '/checkout'];
  const devices = ['android-14/pixel-8', 'ios-17.4/iphone-15', 'windows-11/edge-124', 'macos-14/safari-17'];
  const start = 1_714_564_800_000;
  return Array.from({ length: count }, (_, i) => {
    const user = `${pick(names)}${Math.floor(random() * 10_000)}`;
    return {
      id: 1_000_000 + i,
      at: start + i * 13 + Math.floor(random() * 10),
      user,
      email: `${user}@${pick(domains)}`,
      country: pick(countries),
      kind: pick(kinds),
      amount: Math.round(random() * 100_000) / 100,
      session: Math.floor(random() * 2 ** 48).toString(16).padStart(12, '0'),
      page: pick(pages),
      device: pick(devices),
    };
  });
}

const pool = makeRecords(POOL);
const batches: unknown[][] = [];
for (let i = 0; i < pool.length; i += BATCH) batches.push(pool.slice(i, i + BATCH));
const chain = createCodecChain(SPEC, { schema });

interface Round {
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds of this process (user + system): on a shared machine, the time it actually had a core. */
  cpuSeconds: number;
  bytes: number;
}

interface Clock {
  wall: bigint;
  cpu: NodeJS.CpuUsage;
}

function startClock(): Clock {
  return { wall: process.hrtime.bigint(), cpu: process.cpuUsage() };
}

function stopClock(clock: Clock, bytes: number): Round {
  const cpu = process.cpuUsage(clock.cpu);
  return { seconds: Number(process.hrtime.bigint() - clock.wall) / 1e9, cpuSeconds: (cpu.user + cpu.system) / 1e6, bytes };
}

function timeLoop(fn: () => number): Round {
  const clock = startClock();
  let bytes = 0;
  for (let done = 0; done < RECORDS; done += pool.length) bytes += fn();
  return stopClock(clock, bytes);
}

function jsonStringify(): number {
  let chars = 0;
  for (let i = 0; i < pool.length; i++) chars += JSON.stringify(pool[i]).length;
  return chars;
}

function chainLoop(): number {
  let bytes = 0;
  for (let b = 0; b < batches.length; b++) bytes += chain.encodeBatch(batches[b] as unknown[]).length;
  return bytes;
}

/** The same work through createEncodeStream: one value per chunk in, one batch Buffer per 1,000 out. */
async function chainStream(): Promise<Round> {
  const clock = startClock();
  let bytes = 0;
  let sent = 0;
  const source = new Readable({
    objectMode: true,
    highWaterMark: 1024,
    read() {
      while (sent < RECORDS) {
        if (!this.push(pool[sent++ % pool.length])) return;
      }
      this.push(null);
    },
  });
  const sink = new Writable({
    objectMode: true,
    highWaterMark: 16,
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback();
    },
  });
  await pipeline(source, createEncodeStream(chain, { items: 'values', batchSize: BATCH, highWaterMark: 1024 }), sink);
  return stopClock(clock, bytes);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const scenarios = {
  'JSON.stringify': () => timeLoop(jsonStringify),
  [`${SPEC} loop`]: () => timeLoop(chainLoop),
  [`${SPEC} stream`]: () => chainStream(),
} as const;
type Name = keyof typeof scenarios;
const names = Object.keys(scenarios) as Name[];
const results = Object.fromEntries(names.map((name) => [name, [] as Round[]])) as Record<Name, Round[]>;

// Warm-up: every scenario once, results discarded.
for (const name of names) await scenarios[name]();
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order so no scenario always runs first (or after the GC-heavy one).
  const order = round % 2 === 0 ? names : [...names].reverse();
  for (const name of order) results[name].push(await scenarios[name]());
}

const cpu = cpus()[0]?.model ?? 'unknown';
// The load average says whether other work shared the cores during the run.
const load = Number(loadavg()[0]?.toFixed(2));
console.log(
  `machine: ${cpus().length} cores (${cpu}), node ${process.version}, load ${load}; ` +
    `${RECORDS.toLocaleString()} records per round from a pool of ${POOL.toLocaleString()}, ${ROUNDS} rounds, median`,
);
const summary: Record<string, { recordsPerSecond: number; recordsPerCpuSecond: number; bytesPerRecord: number }> = {};
const fmt = (n: number) => Math.round(n).toLocaleString().padStart(12);
for (const name of names) {
  const rps = median(results[name].map((r) => RECORDS / r.seconds));
  const rpc = median(results[name].map((r) => RECORDS / r.cpuSeconds));
  const bpr = median(results[name].map((r) => r.bytes / RECORDS));
  summary[name] = { recordsPerSecond: Math.round(rps), recordsPerCpuSecond: Math.round(rpc), bytesPerRecord: Number(bpr.toFixed(2)) };
  console.log(`${name.padEnd(24)} ${fmt(rps)} records/s wall ${fmt(rpc)} records/CPU-s  ${bpr.toFixed(2).padStart(7)} bytes/record`);
}
const avroBytes = pool.reduce((sum: number, value) => sum + schema.type.toBuffer(value).length, 0) / pool.length;
const loop = summary[`${SPEC} loop`] as { recordsPerSecond: number; recordsPerCpuSecond: number };
const stream = summary[`${SPEC} stream`] as { recordsPerSecond: number; recordsPerCpuSecond: number };
const json = summary['JSON.stringify'] as { recordsPerSecond: number; recordsPerCpuSecond: number };
const vsJson = loop.recordsPerSecond / json.recordsPerSecond;
const streamVsLoop = stream.recordsPerSecond / loop.recordsPerSecond;
console.log(`record size: ${avroBytes.toFixed(1)} bytes Avro; chain loop vs JSON.stringify: ${vsJson.toFixed(2)}x; stream vs loop: ${streamVsLoop.toFixed(2)}x (wall clock)`);
const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
console.log(
  `goals: chain ≥ 2,000,000 records/s on one core: ${met(loop.recordsPerSecond >= 2e6)} by wall clock, ` +
    `${met(loop.recordsPerCpuSecond >= 2e6)} per CPU-second; stream ≥ 0.7x loop: ${met(streamVsLoop >= 0.7)}`,
);

const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(resultsDir, { recursive: true });
appendFileSync(
  `${resultsDir}codecs.jsonl`,
  `${JSON.stringify({
    bench: 'codecs',
    date: new Date().toISOString(),
    machine: { cores: cpus().length, cpu, node: process.version, load },
    chain: SPEC,
    batch: BATCH,
    recordsPerRound: RECORDS,
    pool: POOL,
    rounds: ROUNDS,
    avroBytesPerRecord: Number(avroBytes.toFixed(1)),
    results: summary,
    ratios: { chainLoopVsJsonStringify: Number(vsJson.toFixed(3)), streamVsLoop: Number(streamVsLoop.toFixed(3)) },
  })}\n`,
);
