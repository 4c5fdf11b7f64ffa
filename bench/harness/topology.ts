/**
 * sluice's side of the Kafka scenarios: a throwaway topology folder written
 * under .cache/ (where a processor module's `import 'sluice'` resolves to this
 * package), and a run of it on a transport, watched through the progress of
 * the stage whose output counts.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../src/core/index.ts';
import { TopologyRun, type RunOptions, type RunReport } from '../../src/runtime/index.ts';
import { loadTopology } from '../../src/topology/index.ts';
import { createTransport, type Transport } from '../../src/transport/index.ts';
import { brokers, freshName } from './kafka.ts';
import { repoRoot } from './machine.ts';
import { ProgressWatch, type Throughput } from './progress.ts';
import { eventSchemaJson } from './records.ts';
import { runTimed, type TimedRun } from './timed.ts';

/** Writes files (by relative path) into a fresh folder under .cache/bench/; returns the folder. */
export function writeFolder(files: Record<string, string>): string {
  const dir = join(repoRoot, '.cache', 'bench', `topology-${randomUUID().slice(0, 8)}`);
  for (const [relative, text] of Object.entries(files)) {
    const path = join(dir, relative);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, text);
  }
  return dir;
}

/** The files every Kafka scenario's topology shares: the event schema and the `enrich` map as a processor module. */
export function eventFiles(): Record<string, string> {
  const records = join(repoRoot, 'bench', 'harness', 'records.ts');
  return {
    'schemas/event.avsc': JSON.stringify(eventSchemaJson),
    'processors/enrich.ts': `import { defineProcessor } from 'sluice';
import { enrich, type ShopEvent } from ${JSON.stringify(records)};
export default defineProcessor<ShopEvent, ShopEvent>(enrich);
`,
  };
}

export function kafkaTransport(clientId = 'bench-sluice'): Transport {
  return createTransport({ brokers: brokers(), clientId, logger: silentLogger });
}

/**
 * One hop, the stage most scenarios run: `from` → decode → the `enrich` map
 * (plus `extraSteps`, processor modules by path) → encode → `to`, in a fresh
 * consumer group (the topology's name).
 */
export function hopTopology(options: { from: string; to: string; partitions: number; extraSteps?: string[]; guarantee?: string; files?: Record<string, string> }): string {
  const steps = ['./processors/enrich.ts', ...(options.extraSteps ?? [])].map((m) => `\n      - map: { module: ${m} }`).join('');
  return writeFolder({
    ...eventFiles(),
    ...options.files,
    'topology.yaml': `
name: ${freshName('hop').replace(/\./g, '-')}
schemas: { ShopEvent: ./schemas/event.avsc }
topics:
  ${options.from}: { partitions: ${options.partitions}, schema: ShopEvent, codec: avro }
  ${options.to}: { partitions: ${options.partitions}, schema: ShopEvent, codec: avro }
nodes:
  hop:
    from: ${options.from}
    process:${steps}
    to: ${options.to}${options.guarantee !== undefined ? `\n    guarantee: ${options.guarantee}` : ''}
`,
  });
}

type StartOptions = { transport: Transport } & Partial<Pick<RunOptions, 'nodes' | 'maxBuffered' | 'commitIntervalMs' | 'untilCaughtUp' | 'namespace'>>;

/** Starts the topology in `dir` (topics created, stages joined); `untilCaughtUp` by default. */
export async function startTopology(dir: string, options: StartOptions): Promise<TopologyRun> {
  const topology = await loadTopology(join(dir, 'topology.yaml'));
  return TopologyRun.start({
    topology,
    transport: options.transport,
    logger: silentLogger,
    untilCaughtUp: options.untilCaughtUp ?? true,
    ...(options.nodes !== undefined ? { nodes: options.nodes } : {}),
    ...(options.namespace !== undefined ? { namespace: options.namespace } : {}),
    ...(options.maxBuffered !== undefined ? { maxBuffered: options.maxBuffered } : {}),
    ...(options.commitIntervalMs !== undefined ? { commitIntervalMs: options.commitIntervalMs } : {}),
  });
}

/** The run's report, or an error naming the stages that failed. */
export async function finished(run: TopologyRun): Promise<RunReport> {
  const report = await run.done;
  if (report.failed.length > 0) throw new Error(`sluice run failed: ${JSON.stringify(report.failed)}`);
  return report;
}

export interface SluiceRun {
  run: TopologyRun;
  report: RunReport;
  throughput: Throughput;
}

/**
 * Runs the topology in `dir` until caught up, measuring the sustained rate
 * at which node `counted` gets `total` records acknowledged at its sink.
 */
export async function runTopology(dir: string, options: StartOptions & { counted: string; total: number }): Promise<SluiceRun> {
  let run: TopologyRun | undefined;
  const watch = new ProgressWatch(() => run?.stages.find((s) => s.node.id === options.counted)?.report().written ?? 0, options.total);
  try {
    const started = await startTopology(dir, options);
    run = started;
    const report = await finished(started);
    return { run: started, report, throughput: watch.finish() };
  } finally {
    watch.cancel();
  }
}

/**
 * The topology in `dir` run as a whole program, `sluice run --until-caught-up`,
 * timed from outside (bench/harness/timed.ts), its state in `dir`/state,
 * removed after. With BENCH_SLUICE_CPU_PROF=DIR the run writes a V8 CPU
 * profile there: the program's own, not the scenario's (`npm run bench --
 * --profile`).
 */
export async function runSluiceCli(dir: string, options: { commitIntervalMs: number; timeoutMs: number }): Promise<TimedRun> {
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir, { recursive: true });
  const profileDir = process.env.BENCH_SLUICE_CPU_PROF;
  const node = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  try {
    return await runTimed(
      process.execPath,
      [...node, join(repoRoot, 'bin', 'sluice.js'), 'run', join(dir, 'topology.yaml'), '--until-caught-up', '--brokers', brokers().join(','), '--port', '0', '--state-dir', stateDir, '--commit-interval', String(options.commitIntervalMs)],
      { logFile: join(dir, 'run.log'), timeoutMs: options.timeoutMs },
    );
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}
