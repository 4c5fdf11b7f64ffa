/**
 * A stage: one node of a topology made live as one `stream.pipeline`
 *
 *     source → decode → processors → encode → sink
 *
 * built fresh for every instance from the immutable node description. The
 * first real error tears the whole pipeline down; a bad *record* never does:
 * it goes to the node's dead-letter topic and the stage goes on. Input offsets
 * are committed only once every record derived from them is acknowledged.
 */
import type { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ErrorCodes, SluiceError, isSluiceError, type Logger } from '../core/index.ts';
import { AGGREGATE_STORE, changelogTopicOf, sourceOffsetsTopicOf, storesOf, tablesOf, taskCountOf, type Topology, type TopologyNode } from '../topology/index.ts';
import { openBackend } from '../state/index.ts';
import { partitionForKey, type Compression, type Producer, type Transport } from '../transport/index.ts';
import { createAvroFileSource } from './avro-files.ts';
import { DeadLetterWriter } from './dead-letter-writer.ts';
import type { Envelope } from './envelope.ts';
import { withRetry, type RetryPolicy } from './retry.ts';
import type { TopologyResources } from './resources.ts';
import { AvroFileSink } from './sinks/avro-file.ts';
import type { BatchSink } from './sinks/batch-sink.ts';
import { createFileLineSink, createStdoutLineSink, jsonLines, type BatchFormatter } from './sinks/lines.ts';
import { TopicSink } from './sinks/topic.ts';
import { TransactionalSink } from './sinks/transactional.ts';
import { TopicPositionStore } from './source-offsets.ts';
import { createGeneratorSource, type GeneratorOptions } from './sources/generator.ts';
import { HttpSource } from './sources/http.ts';
import { createFileLineSource, createStdinLineSource } from './sources/lines.ts';
import { SourceProgress, type SourceProgressOptions } from './sources/progress.ts';
import { openTrackedFile, type TrackedFile } from './sources/tracked-file.ts';
import { TopicSource } from './sources/topic.ts';
import { fileValidateStep, lineDecodeStep, processorSteps, tableAbsorbStep, tableDecoder, topicDecodeStep, topicEncodeStep, type NamedStep } from './stage-steps.ts';
import { StepStream, type ErrorChannel } from './step.ts';
import { StreamJoinStream } from './steps/stream-join-step.ts';
import { WindowStream, loadAggregator } from './steps/window.ts';
import { TaskManager } from './task/task-manager.ts';
import type { RestoreProgress } from './task/restore.ts';
import type { Task } from './task/task.ts';
import type { WindowResult } from '../processors/index.ts';
import { stateDirOf } from './task/state-dir.ts';

export interface StageOptions {
  topology: Topology;
  node: TopologyNode;
  transport: Transport;
  resources: TopologyResources;
  logger: Logger;
  /** How often settled input offsets are committed. Default 1,000 ms. */
  commitIntervalMs?: number;
  /** Records buffered between a topic's consumer and the stage. Default 10,000. */
  maxBuffered?: number;
  /** Kafka group session timeout: how soon the group notices a killed instance. Default 30,000 ms. */
  sessionTimeoutMs?: number;
  /** Ignore the positions file and counted generator sources stored: read from the start (`--from-start`). */
  fromStart?: boolean;
  /**
   * Where state stores keep their local copies (lmdb), one directory per
   * topology, node, task and store. Undefined keeps them in memory (restored
   * from their changelogs at every start).
   */
  stateDir?: string | undefined;
  /** For stdin/stdout nodes; the process's own by default. */
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
}

/** What a store holds for a key: a window's aggregates of it, or a table's latest value (undefined: no row). */
export type StoreContent = { type: 'window'; results: WindowResult<unknown>[] } | { type: 'table'; value: unknown };

/** An interactive query's answer: what the store holds for the key here, or the partition that holds it elsewhere. */
export type StoreAnswer = ({ owned: true; partition: number } & StoreContent) | { owned: false; partition: number };

/** A query of a store `node` does not keep, naming those it does. */
export function unknownStore(node: string, store: string, kept: readonly string[]): SluiceError {
  return new SluiceError(ErrorCodes.STORE_UNKNOWN, `node \`${node}\` keeps no store \`${store}\`${kept.length > 0 ? `; its stores: ${kept.join(', ')}` : ''}`, { context: { stage: node } });
}

export interface StageReport {
  node: string;
  /** Records that entered the stage from its source. */
  read: number;
  /** Records acknowledged by the sink (a topic's broker, or durable in the file). */
  written: number;
  deadLettered: number;
  /** Retries of retriable failures: of processors (per record) and of the topic sink's writes (per batch). */
  retried: number;
  /** Where the stage wrote: `topic NAME`, `file PATH` or `stdout`. */
  output: string;
}

/** `retries:` of a node: `attempts` counts the tries after the first. */
function retryPolicyOf(node: TopologyNode): RetryPolicy {
  return { retries: node.retries.attempts, initialDelayMs: node.retries.backoffMs, maxDelayMs: node.retries.maxBackoffMs, factor: 2 };
}

function codeOf(err: unknown): string | undefined {
  return isSluiceError(err) ? err.code : undefined;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The consumer group of a node: every instance of it, in any process, shares the work. */
export function groupIdOf(topology: Topology, node: TopologyNode): string {
  return `${topology.name}.${node.id}`;
}

/** `dead-letter:` when given; else `<input topic>.dlq`, or `<topology>.<node>.dlq` for non-topic sources. */
export function deadLetterTopicOf(topology: Topology, node: TopologyNode): string {
  if (node.deadLetter !== undefined) return node.deadLetter;
  if (node.input.kind === 'topics' && node.input.topics.length === 1) return `${node.input.topics[0]}.dlq`;
  return `${topology.name}.${node.id}.dlq`;
}

/** The report of an instance stopped before it was built: it read and wrote nothing. */
export function unstartedReport(node: TopologyNode): StageReport {
  return { node: node.id, read: 0, written: 0, deadLettered: 0, retried: 0, output: describeOutput(node) };
}

function describeOutput(node: TopologyNode): string {
  const out = node.output;
  switch (out.kind) {
    case 'topic':
      return `topic ${out.topic}`;
    case 'branch':
      return `topics ${out.routes.map((r) => r.to).join(', ')}`;
    case 'file':
      return `file ${out.path}`;
    case 'stdout':
      return 'stdout';
  }
}

function batchFormatter(codec: string | undefined, schema: string | undefined, resources: TopologyResources): BatchFormatter {
  if (codec === undefined) return jsonLines;
  const steps = codec.split('|');
  const last = steps[steps.length - 1];
  if (last !== 'base64' && last !== 'hex') {
    throw new SluiceError(ErrorCodes.CONFIG_INVALID, `a file or stdout sink writes lines, so its codec must end in base64 or hex; got \`${codec}\``);
  }
  const chain = resources.chain(codec, schema);
  return (values) => chain.encodeBatch(values).toString('latin1') + '\n';
}

export class Stage {
  readonly node: TopologyNode;
  readonly #options: StageOptions;
  readonly #logger: Logger;
  readonly #abort = new AbortController();
  readonly #producers: Producer[] = [];
  #topicSource: TopicSource | undefined;
  #http: HttpSource | undefined;
  /** A file or counted generator source's position, and the file it reads. */
  #progress: SourceProgress | undefined;
  #file: TrackedFile | undefined;
  #transactions: TransactionalSink | undefined;
  #tasks!: TaskManager;
  #window: WindowStream | undefined;
  #join: StreamJoinStream | undefined;
  /** The node's tables by topic, each with its topic's decoder, for queries. */
  #tables = new Map<string, (bytes: Buffer) => unknown>();
  /** Commits the single task of a stateful stage whose source is not a topic (a topic source commits its own). */
  #commitTimer: NodeJS.Timeout | undefined;
  #changelogProducer: Promise<Producer> | undefined;
  #source!: Readable[];
  #steps!: Transform[];
  #sink!: Writable;
  #deadLetters!: DeadLetterWriter;
  #counted!: StepStream;
  #crashed = false;

  private constructor(options: StageOptions) {
    this.#options = options;
    this.node = options.node;
    this.#logger = options.logger.child({ topology: options.topology.name, stage: options.node.id });
  }

  static async create(options: StageOptions): Promise<Stage> {
    const stage = new Stage(options);
    await stage.#build();
    return stage;
  }

  get logger(): Logger {
    return this.#logger;
  }

  readonly #logRetry = (err: unknown, attempt: number, delayMs: number): void => {
    this.#logger.warn({ err, attempt, delayMs }, 'transient broker error at start-up; retrying');
  };

  readonly #logRecordRetry = (error: SluiceError, envelope: Envelope, attempt: number, delayMs: number): void => {
    const { origin } = envelope;
    this.#logger.warn(
      {
        code: error.code,
        error: error.message,
        step: error.context.step,
        attempt,
        of: this.node.retries.attempts,
        delayMs,
        topic: origin.topic,
        partition: origin.partition,
        offset: origin.offset,
        file: origin.file,
        line: origin.line,
      },
      'record failed with a retriable error; retrying',
    );
  };

  /** The topic source, for nodes that read topics (commit state, consumer). */
  get topicSource(): TopicSource | undefined {
    return this.#topicSource;
  }

  /**
   * The output topics' record-batch compression. One producer compresses
   * every batch alike, so branch routes to topics that differ get the
   * default, and the stage says so.
   */
  #compression(): Compression {
    const out = this.node.output;
    const names = out.kind === 'topic' ? [out.topic] : out.kind === 'branch' ? out.routes.map((r) => r.to) : [];
    const kinds = new Set(names.map((name) => this.#options.topology.topics[name]?.compression ?? 'lz4'));
    if (kinds.size <= 1) return [...kinds][0] ?? 'lz4';
    this.#logger.warn({ topics: names, compressions: [...kinds] }, 'branch routes to topics with different compression: batches are compressed with lz4');
    return 'lz4';
  }

  async #producer(): Promise<Producer> {
    const producer = await this.#options.transport.producer({ compression: this.#compression() });
    this.#producers.push(producer);
    return producer;
  }

  /**
   * Exactly-once needs topics on both sides: outputs and input offsets commit
   * in one transaction. Anything else runs at-least-once (logged at start).
   */
  get exactlyOnce(): boolean {
    const { node } = this;
    return node.guarantee === 'exactly-once' && node.input.kind === 'topics' && (node.output.kind === 'topic' || node.output.kind === 'branch');
  }

  async #build(): Promise<void> {
    const { topology, node, transport, resources } = this.#options;
    const input = node.input;
    const steps: NamedStep[] = [];
    if (node.guarantee === 'exactly-once' && !this.exactlyOnce) {
      this.#logger.warn('exactly-once needs a topic input and a topic output; this stage runs at-least-once');
    }

    this.#tasks = this.#taskManager();
    /** Where a stream join goes: right after decode, so `process` runs on what it emits. */
    let joinAt = 0;
    switch (input.kind) {
      case 'topics': {
        const transactions = this.exactlyOnce
          ? new TransactionalSink({ tasks: this.#tasks, groupId: groupIdOf(topology, node), logger: this.#logger, deadLetterOf: (error, env) => this.#deadLetters.record(error, env) })
          : undefined;
        this.#transactions = transactions;
        this.#topicSource = await TopicSource.open(transport, {
          groupId: groupIdOf(topology, node),
          topics: [...input.topics, ...tablesOf(node)],
          logger: this.#logger,
          tasks: this.#tasks,
          maxTaskIdleMs: node.maxTaskIdleMs,
          ...(this.#options.commitIntervalMs !== undefined ? { commitIntervalMs: this.#options.commitIntervalMs } : {}),
          ...(this.#options.maxBuffered !== undefined ? { maxBuffered: this.#options.maxBuffered } : {}),
          ...(this.#options.sessionTimeoutMs !== undefined ? { sessionTimeoutMs: this.#options.sessionTimeoutMs } : {}),
        });
        this.#source = this.#topicSource.streams;
        const tables = tableAbsorbStep(node);
        if (tables !== undefined) steps.push(tables);
        this.#tables = new Map(tablesOf(node).map((t) => [t, tableDecoder(t, resources)]));
        steps.push(topicDecodeStep(node, input.topics, resources));
        joinAt = steps.length;
        break;
      }
      case 'file': {
        const avro = input.format === 'avro';
        const store = await this.#positionStore(input.path);
        const file = await openTrackedFile(input.path, avro ? 'records' : 'bytes', this.#options.fromStart ? undefined : await store.load(), this.#logger);
        this.#file = file;
        const progress = await this.#startProgress(store, input.path, file.describe);
        const from = { name: input.path, signal: this.#abort.signal, track: (next: number, line: number) => progress.track(next, line) };
        if (avro) {
          this.#source = createAvroFileSource(file.handle, { ...from, skip: file.start.next });
          break;
        }
        this.#source = [createFileLineSource(file.handle, { ...from, start: file.start })];
        steps.push(lineDecodeStep(input, input.timestamp, resources));
        break;
      }
      case 'stdin':
        this.#source = [createStdinLineSource(this.#options.stdin, this.#abort.signal)];
        steps.push(lineDecodeStep(input, input.timestamp, resources));
        break;
      case 'generator': {
        const schema = resources.schema(input.schema)!;
        // Only a counted generator has a position: how many of its records it has produced.
        let counted: Pick<GeneratorOptions, 'count' | 'produced' | 'track'> = {};
        if (input.count !== undefined) {
          const store = await this.#positionStore('generator');
          const produced = this.#options.fromStart ? 0 : Math.min(input.count, (await store.load())?.next ?? 0);
          const progress = await this.#startProgress(store, 'generator', async (next, line) => ({ next, line }));
          if (produced > 0) this.#logger.info({ produced, count: input.count }, 'generator continues after the records it produced before');
          counted = { count: input.count, produced, track: (next, n) => progress.track(next, n) };
        }
        this.#source = [
          createGeneratorSource({
            type: schema.type,
            signal: this.#abort.signal,
            ...counted,
            ...(input.ratePerSecond !== undefined ? { ratePerSecond: input.ratePerSecond } : {}),
          }),
        ];
        break;
      }
      case 'http': {
        const http = new HttpSource({ ...input, logger: this.#logger });
        await http.listening();
        this.#http = http;
        this.#source = [http];
        steps.push(lineDecodeStep({ format: 'ndjson' }, input.timestamp, resources));
        break;
      }
    }

    steps.push(...(await processorSteps(topology, node, this.#logger, resources)));
    const aggregator = node.window !== undefined ? await loadAggregator(node.window, topology.root) : undefined;
    const windowAt = steps.length;

    const out = node.output;
    const retry = retryPolicyOf(node);
    if (this.#transactions !== undefined) {
      steps.push(topicEncodeStep(node, resources));
      this.#sink = this.#transactions;
    } else if (out.kind === 'topic' || out.kind === 'branch') {
      steps.push(topicEncodeStep(node, resources));
      const producer = await this.#producer();
      this.#sink = new TopicSink(producer, out.kind === 'topic' ? out.topic : '', {
        retry,
        deadLetter: (error, env) => this.#deadLetters.write(error, env),
        onRetry: (err, attempt, delayMs) =>
          this.#logger.warn({ code: codeOf(err), error: errorText(err), attempt, of: node.retries.attempts, delayMs }, 'topic sink write failed with a retriable error; retrying'),
      });
    } else {
      const validate = fileValidateStep(out, resources);
      if (validate !== undefined) steps.push(validate);
      // Records the sink cannot format are dead-lettered like any step's failures (the writer exists by then).
      const onError: ErrorChannel = (error, envelope) => this.#deadLetters.channel(error, envelope);
      if (out.kind === 'file' && out.format === 'avro') {
        this.#sink = new AvroFileSink({ path: out.path, type: resources.schema(out.schema)!.type, logger: this.#logger, onError });
      } else {
        const format = batchFormatter(out.codec, out.schema, resources);
        this.#sink = out.kind === 'file' ? createFileLineSink(out.path, this.#logger, onError, format) : createStdoutLineSink(onError, this.#options.stdout, format);
      }
    }

    const dlqTopic = deadLetterTopicOf(topology, node);
    await withRetry(() => transport.createTopics([{ name: dlqTopic, partitions: 1 }]), { onRetry: this.#logRetry });
    const dlqProducer = this.#producers[0] ?? (await this.#producer());
    this.#deadLetters = new DeadLetterWriter({
      topology: topology.name,
      stage: node.id,
      topic: dlqTopic,
      producer: dlqProducer,
      logger: this.#logger,
      ...(this.#transactions !== undefined ? { deliver: this.#transactions.deadLetter } : {}),
      retry,
    });

    const onError = this.#deadLetters.channel;
    const onRetry = this.#logRecordRetry;
    this.#steps = steps.map((s) => new StepStream(s.fn, { name: s.name, code: s.code, onError, retry, onRetry }));
    if (steps.length === 0) this.#steps.push(new StepStream((env) => env, { name: 'count', onError }));
    // What enters the first step entered the stage (a retry of it is not a second read).
    this.#counted = this.#steps[0] as StepStream;
    if (node.join !== undefined) {
      const join = new StreamJoinStream({ spec: node.join, onError });
      this.#tasks.beforeSnapshot = join.beforeSnapshot;
      this.#join = join;
      this.#steps.splice(joinAt, 0, join);
    }
    if (node.window !== undefined && aggregator !== undefined) {
      const single = input.kind === 'topics' ? undefined : await this.#tasks.openSingle();
      const window = new WindowStream({ spec: node.window, aggregator, onError, single });
      this.#tasks.beforeSnapshot = window.beforeSnapshot;
      this.#window = window;
      this.#steps.splice(steps.length === 0 ? 1 : windowAt, 0, window);
      if (single !== undefined) this.#commitTimer = setInterval(() => void this.#tasks.commit(), this.#options.commitIntervalMs ?? 1_000).unref();
    }
  }

  /** The tasks of this instance: one per input partition it is assigned (one for other sources). */
  #taskManager(): TaskManager {
    const { topology, node, transport } = this.#options;
    const stateDir = this.#options.stateDir;
    const tasks = new TaskManager({
      transport,
      logger: this.#logger,
      groupId: groupIdOf(topology, node),
      idPrefix: groupIdOf(topology, node),
      topics: node.input.kind === 'topics' ? [...node.input.topics, ...tablesOf(node)] : [],
      tables: tablesOf(node),
      repartitionTopics: node.input.kind === 'topics' ? node.input.topics.filter((t) => topology.topics[t]?.repartition === true) : [],
      stores: storesOf(node).map((name) => ({ name, changelog: changelogTopicOf(topology, node, name) })),
      openBackend: (task, store) => openBackend(stateDir === undefined ? { kind: 'memory' } : { kind: 'lmdb', dir: stateDirOf(stateDir, topology, node, task, store) }),
      exactlyOnce: this.exactlyOnce,
      producer: { compression: this.#compression() },
      changelogProducer: () => (this.#changelogProducer ??= transport.producer({ compression: 'lz4' })),
    });
    return tasks;
  }

  /**
   * What `store` holds for `key` in this instance, or which partition owns it when this instance
   * does not. `store` is the window's (`aggregate`) or a table's topic: a table is co-partitioned
   * with the input, so its key lives in the same task as a window's would.
   */
  query(store: string, key: string): StoreAnswer {
    const read = this.#reader(store);
    const partition = this.node.input.kind === 'topics' ? partitionForKey(key, taskCountOf(this.#options.topology, this.node)) : 0;
    const task = this.#tasks.task(partition);
    return task === undefined ? { owned: false, partition } : { owned: true, partition, ...read(task, key) };
  }

  #reader(store: string): (task: Task, key: string) => StoreContent {
    const window = this.#window;
    if (store === AGGREGATE_STORE && window !== undefined) return (task, key) => ({ type: 'window', results: window.query(task, key) });
    const decode = this.#tables.get(store);
    if (decode !== undefined) {
      return (task, key) => {
        const bytes = task.tables.get(store)?.store.get(Buffer.from(key, 'utf8'));
        return { type: 'table', value: bytes === undefined ? undefined : decode(bytes) };
      };
    }
    throw unknownStore(this.node.id, store, [...(window !== undefined ? [AGGREGATE_STORE] : []), ...this.#tables.keys()]);
  }

  /** Partitions (tasks) this instance holds now. */
  get partitions(): number[] {
    return [...this.#tasks.tasks.keys()].sort((a, b) => a - b);
  }

  /** Restores in progress or done, per store and task. */
  get restores(): RestoreProgress[] {
    return [...this.#tasks.restores.values()];
  }

  /** Runs until the source ends (files, caught up) or `stop()`; rejects with the first real error. */
  async run(): Promise<StageReport> {
    this.#logger.info({ input: this.node.input.kind, output: this.node.output.kind }, 'stage started');
    try {
      await pipeline([...this.#source, ...this.#steps, this.#sink] as unknown as [Readable, Writable]);
    } catch (err) {
      if (!this.#crashed) this.#logger.error({ err }, 'stage failed');
      await this.#close(!this.#crashed).catch((closeErr: unknown) => this.#logger.warn({ err: closeErr }, 'closing after failure'));
      throw err;
    }
    await this.#close(true);
    const report = this.report();
    this.#logger.info(report, 'stage finished');
    return report;
  }

  report(): StageReport {
    const sink = this.#sink;
    const written = sink instanceof TopicSink || sink instanceof TransactionalSink ? sink.acknowledged : (sink as BatchSink<unknown>).written;
    let retried = sink instanceof TopicSink ? sink.retries : 0;
    for (const step of this.#steps) if (step instanceof StepStream) retried += step.retries;
    return { node: this.node.id, read: this.#counted.received, written, deadLettered: this.#deadLetters.count, retried, output: describeOutput(this.node) };
  }

  /** The source-offsets topic of this node, where its source keeps its position under `key`. */
  async #positionStore(key: string): Promise<TopicPositionStore> {
    const { topology, node, transport } = this.#options;
    const topic = sourceOffsetsTopicOf(topology, node);
    const spec = topology.topics[topic];
    await withRetry(() => transport.createTopics([{ name: topic, partitions: 1, cleanupPolicy: 'compact', ...(spec !== undefined ? { replicationFactor: spec.replication } : {}) }]), {
      onRetry: this.#logRetry,
    });
    return new TopicPositionStore(transport, await this.#producer(), topic, key, this.#logger);
  }

  /** Progress committed to `store`; a `--from-start` run first stores the start, so a crash before its first commit does not resume from the old position. */
  async #startProgress(store: TopicPositionStore, name: string, describe: SourceProgressOptions['describe']): Promise<SourceProgress> {
    const progress = new SourceProgress({
      store,
      describe,
      logger: this.#logger,
      name,
      ...(this.#options.commitIntervalMs !== undefined ? { commitIntervalMs: this.#options.commitIntervalMs } : {}),
    });
    if (this.#options.fromStart) await progress.reset(0, 0);
    progress.start();
    this.#progress = progress;
    return progress;
  }

  /** Graceful: stop reading; what was read drains through, is acknowledged and committed. */
  stop(): void {
    this.#abort.abort();
    this.#http?.stop();
    void this.#topicSource?.stop();
  }

  /** The bound port of an http source (0 in the file picks a free one). */
  get httpPort(): number | undefined {
    return this.#http?.port;
  }

  /** The latest event time this instance's windows or join have seen (-Infinity: none, or neither). */
  get streamTime(): number {
    return (this.#window ?? this.#join)?.streamTime ?? Number.NEGATIVE_INFINITY;
  }

  /** A test driver's clock: every task's windows see stream time move on to `time` (see WindowStream.advanceTo). */
  advanceStreamTime(time: number): void {
    const timed = this.#window ?? this.#join;
    if (timed === undefined) return;
    for (const task of this.#tasks.tasks.values()) timed.advanceTo(task, time);
  }

  /** Whether a topic-reading stage has finished all its input has now (see TopicSource.idle); other stages always are. */
  idle(): Promise<boolean> {
    return this.#topicSource?.idle() ?? Promise.resolve(true);
  }

  /**
   * The stages writing its input topics have finished all they had (a test driver knows): tasks waiting
   * `max-task-idle` for a caught-up partner partition go on now, since nothing more is coming for it.
   */
  inputsWritten(): void {
    this.#topicSource?.inputsWritten();
  }

  /** Commits what is finished now, as the commit interval would (test drivers, which settle without waiting for it). */
  commit(): Promise<void> {
    return this.#topicSource?.commit() ?? this.#tasks.commit();
  }

  /** Once the input topics' current end offsets are reached, stop (embedded runs, `--until-caught-up`). */
  async finishWhenCaughtUp(): Promise<void> {
    await this.#topicSource?.finishWhenCaughtUp();
  }

  /** For a stage built but never run (another stage failed to start): release what it opened. */
  async dispose(): Promise<void> {
    this.#crashed = true;
    for (const stream of [...this.#source, ...this.#steps, this.#sink]) stream.destroy();
    await this.#close(false);
  }

  /** A crash, for tests and the coordinator: tear down now, commit nothing more. */
  crash(reason = 'stage aborted'): void {
    this.#crashed = true;
    const err = new SluiceError(ErrorCodes.SHUTDOWN, reason, { context: { stage: this.node.id } });
    this.#source[0]?.destroy(err);
  }

  async #close(commit: boolean): Promise<void> {
    if (this.#commitTimer !== undefined) clearInterval(this.#commitTimer);
    if (this.#topicSource !== undefined) {
      if (commit) await this.#topicSource.close();
      else await this.#topicSource.abandon();
    } else if (commit) {
      // The state first: a file position is committed only for records whose changes are in the changelog.
      await this.#tasks.close();
    } else {
      await this.#tasks.abandon();
    }
    if (this.#progress !== undefined) {
      if (commit) await this.#progress.close();
      else this.#progress.abandon();
    }
    for (const producer of this.#producers) await producer.close();
    if (this.#changelogProducer !== undefined) await (await this.#changelogProducer).close();
    await this.#file?.close();
  }
}
