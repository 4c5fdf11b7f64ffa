/**
 * sluice against Kafka Streams (issue 14): the same jobs on the same broker
 * and the same input topic, side by side in alternating rounds, each a whole
 * program run from start to exit: `sluice run --until-caught-up` and the
 * Kafka Streams peer (bench/kstreams/KStreamsPeer.java, which ends once its
 * group has committed the end of every topic it reads).
 *
 *   pipe       raw bytes in → the same bytes out
 *   wordcount  lines → lower-cased runs of letters and apostrophes → repartitioned by word → running count
 *   tumbling   the same words → count per word per 1-minute tumbling window, final results only
 *
 * each at-least-once and exactly-once (exactly_once_v2). Every round's output
 * is read back (read_committed) and checked against what the input must give
 * before its figures count: a bench comparing wrong outputs measures nothing.
 *
 *     npx tsx bench/scenarios/kafka-streams.ts [--quick] [--rounds 5] [--lines 100000]
 *       [--jobs pipe,wordcount,tumbling] [--guarantees at-least-once,exactly-once]
 */
import { join } from 'node:path';
import type { ConsumedRecord, Transport } from '../../src/transport/index.ts';
import { scenarioArgs } from '../harness/args.ts';
import { brokerVersion, freshName } from '../harness/kafka.ts';
import { preparePeer, runPeer, sideBySide, sideBySideParams, type Guarantee, type Side } from '../harness/kstreams.ts';
import { machine, repoRoot } from '../harness/machine.ts';
import { finish } from '../harness/report.ts';
import type { TimedRun } from '../harness/timed.ts';
import { kafkaTransport, runSluiceCli, writeFolder } from '../harness/topology.ts';
import { expectedCounts, expectedWindowCounts, fillWithLines, makeCorpus } from '../harness/word-corpus.ts';

const JOBS = ['pipe', 'wordcount', 'tumbling'] as const;
type Job = (typeof JOBS)[number];
const GUARANTEES = ['at-least-once', 'exactly-once'] as const;
const args = scenarioArgs(
  { lines: { full: 100_000, quick: 5_000 }, partitions: { full: 3, quick: 3 }, timeout: { full: 600, quick: 180 } },
  undefined,
  { jobs: JOBS, guarantees: GUARANTEES },
);
const N = args.lines;
const P = args.partitions;
/** sluice run's --commit-interval default; the peer commits as often. */
const COMMIT_MS = 1_000;
const machineInfo = machine(brokerVersion());
const peer = preparePeer();
const transport = kafkaTransport('bench-kafka-streams');

const corpus = makeCorpus(N);
const lines = freshName('ks.lines');
// The tumbling job reads one partition: with several, the order in which the split tasks' words reach a repartition
// partition (which no one controls) decides which records come after their window closed, on either side.
const orderedLines = freshName('ks.lines-1p');
if (args.jobs.some((j) => j !== 'tumbling')) await fillWithLines(lines, P, corpus);
if (args.jobs.includes('tumbling')) await fillWithLines(orderedLines, 1, corpus);
const inputOf = (job: Job): { topic: string; partitions: number } => (job === 'tumbling' ? { topic: orderedLines, partitions: 1 } : { topic: lines, partitions: P });

// ---- sluice's side: the topology of each job, written fresh for every round (a new consumer group each time).

const splitModule = `import { defineProcessor } from 'sluice';
import split from ${JSON.stringify(join(repoRoot, 'topologies', 'word-count', 'processors', 'split-words.ts'))};
// The input is raw UTF-8 lines, as Kafka Streams reads them with a byte-array serde.
export default defineProcessor<Buffer, { word: string }>((line, ctx) => split(line.toString('utf8'), ctx));
`;

function sluiceTopology(job: Job, guarantee: Guarantee, output: string): string {
  const name = freshName(`ks-${job}`).replace(/\./g, '-');
  const input = inputOf(job);
  const header = `name: ${name}
defaults: { guarantee: ${guarantee} }
topics:
  ${input.topic}: { partitions: ${input.partitions}, codec: none }`;
  if (job === 'pipe') {
    return writeFolder({
      'topology.yaml': `${header}
  ${output}: { partitions: ${P}, codec: none }
nodes:
  pipe:
    from: ${input.topic}
    to: ${output}
`,
    });
  }
  const window = job === 'wordcount' ? '{ global: true, aggregate: count }' : '{ tumbling: 1m, aggregate: count }';
  return writeFolder({
    'processors/split-lines.ts': splitModule,
    'topology.yaml': `${header}
  ${name}.words: { partitions: ${P} }
  ${output}: { partitions: ${P} }
nodes:
  split:
    from: ${input.topic}
    process:
      - map: { module: ./processors/split-lines.ts }
      - key: { field: word }
    to: ${name}.words
  count:
    from: ${name}.words
    window: ${window}
    to: ${output}
`,
  });
}

function runSluice(job: Job, guarantee: Guarantee, output: string): Promise<TimedRun> {
  return runSluiceCli(sluiceTopology(job, guarantee, output), { commitIntervalMs: COMMIT_MS, timeoutMs: args.timeout * 1_000 });
}

// ---- what the output must be, read back after every round.

/** The newest value per key of `topic`, committed records only. */
async function latestByKey(t: Transport, topic: string, entry: (r: ConsumedRecord) => [string, number]): Promise<Map<string, number>> {
  const latest = new Map<string, number>();
  const partitions = await t.endOffsets(topic);
  await t.readPartitions(
    topic,
    partitions.map((p) => ({ partition: p.partition, from: null })),
    async (records) => {
      for (const r of records) {
        const [k, v] = entry(r);
        latest.set(k, v);
      }
    },
  );
  return latest;
}

/** A sluice window result is `{ key, value }` (global) or `{ key, start, end, value }` JSON; the peer's is a string key and a long. */
function entryOf(side: Side, job: Job): (r: ConsumedRecord) => [string, number] {
  if (side === 'kafka-streams') return (r) => [r.key!.toString('utf8'), Number(r.value!.readBigInt64BE())];
  return (r) => {
    const v = JSON.parse(r.value!.toString('utf8')) as { key: string; start?: number; value: number };
    return [job === 'tumbling' ? `${v.key}@${v.start}` : v.key, v.value];
  };
}

function sameCounts(got: Map<string, number>, want: Map<string, number>): string | undefined {
  if (got.size !== want.size) return `${got.size} keys where ${want.size} were expected`;
  for (const [k, v] of want) if (got.get(k) !== v) return `${JSON.stringify(k)}: ${got.get(k)} where ${v} was expected`;
  return undefined;
}

const lastTimestamp = corpus.timestamps[corpus.timestamps.length - 1]!;
const expected = {
  pipe: () => {
    const values = new Map<string, number>();
    for (const line of corpus.lines) values.set(line, (values.get(line) ?? 0) + 1);
    return values;
  },
  wordcount: () => expectedCounts(corpus),
  // Only windows whose end the input's event time reached have closed and emitted (grace 0, on both sides).
  tumbling: () => new Map([...expectedWindowCounts(corpus)].filter(([k]) => Number(k.slice(k.lastIndexOf('@') + 1)) + 60_000 <= lastTimestamp)),
};
const wanted = new Map<Job, Map<string, number>>();

async function verify(side: Side, job: Job, guarantee: Guarantee, output: string): Promise<void> {
  const want = wanted.get(job) ?? expected[job]();
  wanted.set(job, want);
  let got: Map<string, number>;
  if (job === 'pipe') {
    got = new Map();
    const partitions = await transport.endOffsets(output);
    await transport.readPartitions(output, partitions.map((p) => ({ partition: p.partition, from: null })), async (records) => {
      for (const r of records) {
        const line = r.value!.toString('utf8');
        got.set(line, (got.get(line) ?? 0) + 1);
      }
    });
  } else {
    got = await latestByKey(transport, output, entryOf(side, job));
  }
  const wrong = sameCounts(got, want);
  if (wrong !== undefined) throw new Error(`${side} ${job} ${guarantee}: wrong output in ${output}: ${wrong}`);
}

// ---- the rounds.

function round(side: Side, job: Job, guarantee: Guarantee, output: string): Promise<TimedRun> {
  return side === 'sluice'
    ? runSluice(job, guarantee, output)
    : runPeer(peer, { appId: freshName(`ks-${job}`).replace(/\./g, '-'), input: inputOf(job).topic, output, job, guarantee, commitIntervalMs: COMMIT_MS, timeoutMs: args.timeout * 1_000 });
}

const { rows, rounds } = await sideBySide<Job>({
  jobs: args.jobs,
  guarantees: args.guarantees,
  rounds: args.rounds,
  records: N,
  recordsName: 'input records',
  label: { pipe: 'pipe', wordcount: 'word count', tumbling: '1-minute tumbling count' },
  goals: { 'wordcount at-least-once': 1.0, 'wordcount exactly-once': 0.8, 'pipe at-least-once': 1.0 },
  output: { prefix: 'ks', partitions: P },
  run: round,
  verify,
});
await transport.close();

finish({
  scenario: 'kafka-streams',
  title: 'sluice vs Kafka Streams: pipe, word count and a 1-minute tumbling count on the same broker and input',
  machine: machineInfo,
  quick: args.quick,
  params: {
    lines: N,
    partitions: P,
    ...sideBySideParams(peer, { ...args, commitIntervalMs: COMMIT_MS }),
    bytesPerLine: Math.round(corpus.lines.reduce((n, l) => n + Buffer.byteLength(l), 0) / N),
    measure: 'wall seconds from starting the program until it exited with all output committed (JVM and Node start-up included), as input records/s; CPU seconds of the process and its threads per million input records; every round output verified',
  },
  rows,
  rounds,
});
