/**
 * Runs the nodes of a topology in this process, each as a Stage, and decides
 * when a run is over. A stage whose source is finite (a file, stdin, a counted
 * generator) ends with it. A stage reading topics ends once every stage that
 * writes those topics in this run has ended and it has read up to their end
 * offsets; topics nobody in the run writes are read to their current end when
 * `untilCaughtUp` is set (always on the embedded transport, whose topics only
 * this process writes), and followed forever otherwise.
 */
import { ErrorCodes, SluiceError, type Logger } from '../core/index.ts';
import { physicalTopology, type Topology, type TopologyNode } from '../topology/index.ts';
import type { Transport, TopicSpec as TransportTopicSpec } from '../transport/index.ts';
import { deadLetterMarks, readDeadLetterTopics, type DeadLetterMarks, type DeadLetterTopic } from './dead-letter-report.ts';
import { withRetry } from './retry.ts';
import { TopologyResources, type ResourceOptions } from './resources.ts';
import { emptyOverwrittenFiles } from './sinks/file-modes.ts';
import { Stage, deadLetterTopicOf, type StageOptions, type StageReport } from './stage.ts';

export interface RunOptions extends ResourceOptions {
  topology: Topology;
  transport: Transport;
  logger: Logger;
  /** Prefix for every topic and consumer group (see topology/namespace.ts). */
  namespace?: string;
  /** Only these node ids; all by default. */
  nodes?: readonly string[];
  /** Stop each topic-reading stage once caught up (see above). Default: true on the embedded transport. */
  untilCaughtUp?: boolean;
  commitIntervalMs?: number;
  maxBuffered?: number;
  /** Kafka group session timeout of every stage's consumer. */
  sessionTimeoutMs?: number;
  /** File and counted generator sources ignore their stored positions and read from the start. */
  fromStart?: boolean;
  /** Where state stores keep local copies (see StageOptions.stateDir). */
  stateDir?: string | undefined;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}

export interface RunReport {
  topology: string;
  transport: 'kafka' | 'embedded';
  stages: StageReport[];
  failed: Array<{ node: string; error: string; code?: string }>;
  /** Embedded runs: the dead-letter topics that hold any, with every dead letter (the topics end with the process). */
  deadLetters?: DeadLetterTopic[];
}

export function topicSpecsOf(topology: Topology): TransportTopicSpec[] {
  return Object.values(topology.topics).map((t) => ({
    name: t.name,
    partitions: t.partitions,
    replicationFactor: t.replication,
    cleanupPolicy: t.cleanup,
    ...(t.retentionMs !== undefined ? { retentionMs: t.retentionMs } : {}),
  }));
}

/** The nodes asked for; a node split around a repartition topic is selected with both its halves. */
function selectNodes(topology: Topology, ids: readonly string[] | undefined): TopologyNode[] {
  if (ids === undefined || ids.length === 0) return [...topology.nodes];
  const known = new Set(topology.nodes.map((n) => n.id));
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new SluiceError(ErrorCodes.CLI_USAGE, `no node ${unknown.map((u) => `\`${u}\``).join(', ')} in ${topology.file}; nodes: ${[...known].join(', ')}`);
  }
  return topology.nodes.filter((n) => ids.includes(n.id) || ids.includes(n.id.replace(/\.window$/, '')));
}

export class TopologyRun {
  readonly stages: Stage[];
  readonly done: Promise<RunReport>;
  readonly #options: RunOptions;
  readonly #finished = new Set<string>();
  readonly #caughtUpRequested = new Set<string>();
  readonly #untilCaughtUp: boolean;

  readonly #topology: Topology;
  readonly #deadLetterMarks: DeadLetterMarks | undefined;

  private constructor(options: RunOptions, topology: Topology, stages: Stage[], deadLetterMarks: DeadLetterMarks | undefined) {
    this.#options = options;
    this.#topology = topology;
    this.#deadLetterMarks = deadLetterMarks;
    this.stages = stages;
    this.#untilCaughtUp = options.untilCaughtUp ?? options.transport.kind === 'embedded';
    this.done = this.#runAll();
  }

  /** Creates the topology's topics, builds every selected stage, and starts them. */
  static async start(options: RunOptions): Promise<TopologyRun> {
    const { transport, logger } = options;
    const topology = physicalTopology(options.topology, options.namespace ?? '');
    // A broker that has just started may still be electing leaders or loading its group coordinator.
    await withRetry(() => transport.createTopics(topicSpecsOf(topology)), {
      onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs }, 'transient broker error creating topics; retrying'),
    });
    const resources = await TopologyResources.load(topology, options);
    const selected = selectNodes(topology, options.nodes);
    await emptyOverwrittenFiles(selected);
    const stages: Stage[] = [];
    try {
      for (const node of selected) {
        const stageOptions: StageOptions = {
          topology,
          node,
          transport,
          resources,
          logger,
          ...(options.commitIntervalMs !== undefined ? { commitIntervalMs: options.commitIntervalMs } : {}),
          ...(options.maxBuffered !== undefined ? { maxBuffered: options.maxBuffered } : {}),
          ...(options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: options.sessionTimeoutMs } : {}),
          ...(options.fromStart === true ? { fromStart: true } : {}),
          stateDir: options.stateDir,
          ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
          ...(options.stdout !== undefined ? { stdout: options.stdout } : {}),
        };
        stages.push(await Stage.create(stageOptions));
      }
    } catch (err) {
      await Promise.allSettled(stages.map((stage) => stage.dispose()));
      throw err;
    }
    // Stages have created their dead-letter topics by now.
    const marks = transport.kind === 'embedded' ? await deadLetterMarks(transport, stages.map((s) => deadLetterTopicOf(topology, s.node))) : undefined;
    return new TopologyRun(options, topology, stages, marks);
  }

  async #runAll(): Promise<RunReport> {
    const failed: RunReport['failed'] = [];
    const reports: StageReport[] = [];
    const running = this.stages.map(async (stage) => {
      try {
        reports.push(await stage.run());
      } catch (err) {
        failed.push({
          node: stage.node.id,
          error: err instanceof Error ? err.message : String(err),
          ...(err instanceof SluiceError ? { code: err.code } : {}),
        });
        reports.push(stage.report());
        // One broken stage ends the run: the others drain and commit what they have.
        this.stop();
      } finally {
        this.#finished.add(stage.node.id);
        this.#releaseReaders();
      }
    });
    this.#releaseReaders();
    await Promise.all(running);
    reports.sort((a, b) => this.stages.findIndex((s) => s.node.id === a.node) - this.stages.findIndex((s) => s.node.id === b.node));
    const { transport } = this.#options;
    const report: RunReport = { topology: this.#topology.name, transport: transport.kind, stages: reports, failed };
    if (this.#deadLetterMarks !== undefined) report.deadLetters = await readDeadLetterTopics(transport, this.#deadLetterMarks);
    return report;
  }

  /** Tells every topic-reading stage whose writers in this run have all finished to finish once caught up. */
  #releaseReaders(): void {
    for (const stage of this.stages) {
      const input = stage.node.input;
      if (input.kind !== 'topics' || this.#caughtUpRequested.has(stage.node.id)) continue;
      // Tables too: a stage that stopped before its table's writer would miss the rows still to come.
      const writers = this.stages.filter((s) => s !== stage && s.node.writes.some((t) => stage.node.reads.includes(t)));
      const upstreamDone = writers.every((w) => this.#finished.has(w.node.id));
      if (!upstreamDone || (writers.length === 0 && !this.#untilCaughtUp)) continue;
      this.#caughtUpRequested.add(stage.node.id);
      stage.finishWhenCaughtUp().catch((err: unknown) => {
        stage.logger.error({ err }, 'could not read end offsets; crashing the stage');
        stage.crash('could not read end offsets');
      });
    }
  }

  /** Graceful stop of every stage: stop reading, drain, acknowledge, commit. */
  stop(): void {
    for (const stage of this.stages) stage.stop();
  }
}
