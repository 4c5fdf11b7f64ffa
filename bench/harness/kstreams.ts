/**
 * The Kafka Streams peer (bench/kstreams/KStreamsPeer.java): Kafka Streams of
 * the broker's version and its dependencies fetched from Maven Central by
 * `mvn` into .cache/kstreams/lib-<version> (as scripts/kafka.sh fetches the
 * broker), the peer compiled there by `javac`, one run of it, timed from
 * outside as sluice's run is, and the rounds of both sides, job by job.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokers, createTopic, freshName, rawKafka } from './kafka.ts';
import { repoRoot } from './machine.ts';
import { versus, type Row } from './report.ts';
import { alternate, type Outcome } from './rounds.ts';
import { runTimed, type TimedRun } from './timed.ts';

const source = join(repoRoot, 'bench', 'kstreams');
const home = join(repoRoot, '.cache', 'kstreams');

export type Job = 'pipe' | 'wordcount' | 'tumbling' | 'join-inner' | 'join-left';
export type Guarantee = 'at-least-once' | 'exactly-once';
export type Side = 'sluice' | 'kafka-streams';

/** The broker's version, which the peer's Kafka Streams matches. */
export function kafkaVersion(): string {
  const pom = readFileSync(join(repoRoot, 'scripts', 'kafka', 'pom.xml'), 'utf8');
  const version = /<kafka\.version>(.*)<\/kafka\.version>/.exec(pom)?.[1];
  if (version === undefined) throw new Error('scripts/kafka/pom.xml names no kafka.version');
  return version;
}

function fetchJars(version: string): string {
  const lib = join(home, `lib-${version}`);
  if (existsSync(join(lib, '.complete'))) return lib;
  console.error(`fetching Kafka Streams ${version} and its dependencies from Maven Central into ${lib}`);
  const partial = `${lib}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  execFileSync(
    'mvn',
    ['-q', '-B', '-f', join(source, 'pom.xml'), 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${partial}`, `-Dkafka.version=${version}`],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  writeFileSync(join(partial, '.complete'), '');
  rmSync(lib, { recursive: true, force: true });
  renameSync(partial, lib);
  return lib;
}

/** Compiles the peer into a folder named by its source's hash, so an edit is always compiled and a rerun never is. */
function compile(lib: string): string {
  const file = join(source, 'KStreamsPeer.java');
  const hash = createHash('sha256').update(readFileSync(file)).update(lib).digest('hex').slice(0, 12);
  const classes = join(home, `classes-${hash}`);
  if (existsSync(join(classes, 'KStreamsPeer.class'))) return classes;
  mkdirSync(classes, { recursive: true });
  execFileSync('javac', ['-d', classes, '-cp', join(lib, '*'), file], { stdio: ['ignore', 'inherit', 'inherit'] });
  return classes;
}

export interface KStreamsPeer {
  version: string;
  classpath: string;
}

/** Fetches (the first time) and compiles the peer; fails with what is missing when Java or Maven is. */
export function preparePeer(): KStreamsPeer {
  const version = kafkaVersion();
  const lib = fetchJars(version);
  return { version, classpath: `${join(lib, '*')}:${compile(lib)}` };
}

export interface PeerRun {
  appId: string;
  input: string;
  output: string;
  /** The compacted topic a join job reads as a KTable. */
  table?: string;
  job: Job;
  guarantee: Guarantee;
  commitIntervalMs: number;
  timeoutMs: number;
}

/** One run of the peer until it has committed everything it read, and has closed. */
export async function runPeer(peer: KStreamsPeer, run: PeerRun): Promise<TimedRun> {
  const state = join(home, 'state', run.appId);
  const logs = join(home, 'logs');
  mkdirSync(logs, { recursive: true });
  try {
    return await runTimed(
      'java',
      [
        // The broker's heap settings (scripts/kafka.sh): a fixed, modest heap, G1.
        '-Xms256m',
        '-Xmx1g',
        '-XX:+UseG1GC',
        `-Dlog4j2.configurationFile=${join(repoRoot, 'scripts', 'kafka', 'log4j2.properties')}`,
        '-cp',
        peer.classpath,
        'KStreamsPeer',
        brokers().join(','),
        run.appId,
        run.input,
        run.output,
        run.job,
        run.guarantee,
        state,
        String(run.commitIntervalMs),
        ...(run.table === undefined ? [] : [run.table]),
      ],
      { logFile: join(logs, `${run.appId}.log`), timeoutMs: run.timeoutMs },
    );
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}

export interface SideBySide<J extends string> {
  jobs: readonly J[];
  guarantees: readonly Guarantee[];
  rounds: number;
  /** Input records of one run: the figures are per input record. */
  records: number;
  /** What they are, in the rows: `input records`, `order records`. */
  recordsName: string;
  label: Record<J, string>;
  /** The least ratio of sluice's throughput to Kafka Streams', where there is a goal. */
  goals?: Partial<Record<`${J} ${Guarantee}`, number>>;
  /** Each run writes a new output topic, `bench.<prefix>.<job>.<side>.out.<id>`, created before its clock starts. */
  output: { prefix: string; partitions: number };
  /** One run of one side. */
  run(side: Side, job: J, guarantee: Guarantee, output: string): Promise<TimedRun>;
  /** Throws unless the run's output is right: a figure from a wrong output counts for nothing. */
  verify(side: Side, job: J, guarantee: Guarantee, output: string): Promise<void>;
  /** Called after each job and guarantee, e.g. to note the machine's load. */
  after?(): void;
}

/**
 * Every job × guarantee in alternating rounds of both sides (one warm-up
 * pair before the first: every round is a new process on both sides, and
 * one pair fills the broker's page cache for all), as rows of medians.
 */
export async function sideBySide<J extends string>(o: SideBySide<J>): Promise<{ rows: Row[]; rounds: Record<string, Outcome> }> {
  const kafka = rawKafka('bench-kafka-streams');
  const sample = (side: Side, job: J, guarantee: Guarantee) => async () => {
    const output = freshName(`${o.output.prefix}.${job}.${side}.out`);
    await createTopic(kafka, output, o.output.partitions);
    const run = await o.run(side, job, guarantee, output);
    await o.verify(side, job, guarantee, output);
    return { recordsPerSecond: o.records / run.wallSeconds, wallSeconds: run.wallSeconds, cpuSecondsPerMillion: run.cpuSeconds / (o.records / 1e6) };
  };
  const rows: Row[] = [];
  const rounds: Record<string, Outcome> = {};
  let first = true;
  for (const job of o.jobs) {
    for (const guarantee of o.guarantees) {
      console.error(`${job}, ${guarantee}:`);
      const outcome = await alternate(
        [
          { name: 'sluice', round: sample('sluice', job, guarantee) },
          { name: 'Kafka Streams', round: sample('kafka-streams', job, guarantee) },
        ],
        { rounds: o.rounds, warmup: first },
      );
      first = false;
      o.after?.();
      const s = outcome.sluice!.median;
      const k = outcome['Kafka Streams']!.median;
      const goal = o.goals?.[`${job} ${guarantee}`];
      rows.push(
        versus(`${o.label[job]}, ${guarantee}: ${o.recordsName}/s, start to all output committed`, 'records/s', s.recordsPerSecond!, 'Kafka Streams', k.recordsPerSecond!, goal !== undefined ? { min: goal } : undefined),
        versus(`${o.label[job]}, ${guarantee}: CPU per million ${o.recordsName} (lower is leaner)`, 'CPU-s', s.cpuSecondsPerMillion!, 'Kafka Streams', k.cpuSecondsPerMillion!),
      );
      rounds[`${job} ${guarantee}: sluice`] = outcome.sluice!;
      rounds[`${job} ${guarantee}: Kafka Streams`] = outcome['Kafka Streams']!;
    }
  }
  return { rows, rounds };
}

/** The settings of a side-by-side run that every result of it records. */
export function sideBySideParams(peer: KStreamsPeer, o: { rounds: number; jobs: readonly string[]; guarantees: readonly Guarantee[]; commitIntervalMs: number }): Record<string, unknown> {
  return {
    rounds: o.rounds,
    jobs: o.jobs,
    guarantees: o.guarantees,
    kafkaStreams: peer.version,
    kafkaStreamsThreads: 1,
    commitIntervalMs: o.commitIntervalMs,
    sluiceKafkaClient: process.env.SLUICE_KAFKA_CLIENT ?? 'kafkajs',
  };
}
