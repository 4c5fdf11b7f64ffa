/**
 * The Kafka Streams peer (bench/kstreams/KStreamsPeer.java): Kafka Streams of
 * the broker's version and its dependencies fetched from Maven Central by
 * `mvn` into .cache/kstreams/lib-<version> (as scripts/kafka.sh fetches the
 * broker), the peer compiled there by `javac`, and one run of it, timed from
 * outside as sluice's run is.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokers } from './kafka.ts';
import { repoRoot } from './machine.ts';
import { runTimed, type TimedRun } from './timed.ts';

const source = join(repoRoot, 'bench', 'kstreams');
const home = join(repoRoot, '.cache', 'kstreams');

export type Job = 'pipe' | 'wordcount' | 'tumbling' | 'join-inner' | 'join-left';
export type Guarantee = 'at-least-once' | 'exactly-once';

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
