/**
 * A topology under test from code (vitest, jest, node:test), as Kafka
 * Streams' TopologyTestDriver is for a Topology: records sent to its topics,
 * what its topics and dead-letter topics hold read back, its stores queried,
 * and its stages crashed or rebalanced, all in this process on an embedded
 * broker of its own.
 *
 * Every stage reading topics runs, as `sluice run` would run it; source nodes
 * (files, stdin, http, generators) do not: records go in by topic. After each
 * send the driver *settles*: it has every stage commit until each one's
 * group has committed its input topics to their end, so what a read returns
 * next is everything those records lead to. File sinks write into a directory
 * of the driver's own, stdout sinks into memory.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { ErrorCodes, SluiceError, silentLogger, type Logger } from '../core/index.ts';
import { deadLetterTopicOf, groupIdOf, Stage, topicSpecsOf, TopologyResources, type DeadLetter, type StoreAnswer } from '../runtime/index.ts';
import { parseDuration } from '../processors/index.ts';
import { AGGREGATE_STORE, loadTopology, physicalTopology, type Topology, type TopologyNode } from '../topology/index.ts';
import { createClusterAdmin, createEmbeddedClusterAdmin, createEmbeddedTransport, createTransport, EmbeddedBroker, type ClusterAdmin, type Transport, type TransportOptions } from '../transport/index.ts';
import type { OutputRecord } from './match.ts';
import { outgoingRecords, readDeadLetters, readTopicRecords, sendAll, type ReadPositions } from './records.ts';
import { deadLetterTopicNamed, isInputNode, isSinkNode, nodeIds } from './targets.ts';
import type { InputRecordSpec } from './test-file.ts';

export interface TestDriverOptions {
  /** For `${VAR}` in the topology and SLUICE_KEYS; the process's environment otherwise. */
  env?: Record<string, string>;
  logger?: Logger;
  /** How long a settle may take before it fails naming the stages behind. Default 10 s, 60 s on Kafka. */
  settleTimeoutMs?: number;
  /**
   * Kafka instead of an embedded broker: the topology runs under a fresh namespace
   * (`sluice-test-<random>.`), so its topics and groups are new; they are deleted on close.
   */
  kafka?: Pick<TransportOptions, 'brokers' | 'client' | 'security'>;
}

/** The driver commits when it settles; the interval only bounds work lost to a crash between settles. */
const COMMIT_INTERVAL_MS = 3_600_000;
const SETTLE_POLL_MS = 2;
/** On Kafka every poll is a round of commits and admin requests. */
const KAFKA_SETTLE_POLL_MS = 50;
/** Quiet: no end offset moved in this many polls this far apart. */
const QUIET_POLLS = 5;
const QUIET_POLL_MS = 5;

interface Instance {
  stage: Stage;
  running: Promise<unknown>;
}

export class TopologyTestDriver {
  readonly topology: Topology;
  readonly #transport: Transport;
  readonly #admin: ClusterAdmin;
  readonly #resources: TopologyResources;
  readonly #logger: Logger;
  readonly #dir: string;
  readonly #settleTimeoutMs: number;
  readonly #pollMs: number;
  /** Before every topic name of the topology file: '' on the embedded broker. */
  readonly namespace: string;
  readonly #instances = new Map<string, Instance[]>();
  readonly #positions = new Map<string, ReadPositions>();
  readonly #failures: Array<{ node: string; error: unknown }> = [];
  readonly #stdout = new PassThrough();
  #printed = '';
  #stdinUsed = false;
  #closed = false;
  /** Records with no timestamp take the last one sent. */
  #lastTimestamp = 0;

  private constructor(topology: Topology, resources: TopologyResources, namespace: string, dir: string, options: TestDriverOptions) {
    this.topology = topology;
    this.#resources = resources;
    this.namespace = namespace;
    this.#logger = options.logger ?? silentLogger;
    if (options.kafka === undefined) {
      const broker = new EmbeddedBroker();
      this.#transport = createEmbeddedTransport(broker);
      this.#admin = createEmbeddedClusterAdmin(broker);
    } else {
      const connection = { ...options.kafka, clientId: 'sluice-test', logger: this.#logger };
      this.#transport = createTransport(connection);
      this.#admin = createClusterAdmin(connection);
    }
    this.#pollMs = options.kafka === undefined ? SETTLE_POLL_MS : KAFKA_SETTLE_POLL_MS;
    this.#dir = dir;
    this.#settleTimeoutMs = options.settleTimeoutMs ?? (options.kafka === undefined ? 10_000 : 60_000);
    this.#stdout.on('data', (chunk: Buffer) => (this.#printed += chunk.toString('utf8')));
  }

  static async create(file: string, options: TestDriverOptions = {}): Promise<TopologyTestDriver> {
    return TopologyTestDriver.of(await loadTopology(file, { env: { ...process.env, ...options.env } }), options);
  }

  /** A driver for a topology already loaded (with the same `env`). */
  static async of(logical: Topology, options: TestDriverOptions = {}): Promise<TopologyTestDriver> {
    const env = { ...process.env, ...options.env };
    const dir = await mkdtemp(path.join(tmpdir(), 'sluice-driver-'));
    const namespace = options.kafka === undefined ? '' : `sluice-test-${randomBytes(4).toString('hex')}.`;
    const topology = physicalTopology(hermetic(logical, dir), namespace);
    const driver = new TopologyTestDriver(topology, await TopologyResources.load(topology, { env }), namespace, dir, options);
    await driver.#transport.createTopics(topicSpecsOf(topology));
    for (const node of topology.nodes) if (node.input.kind === 'topics') await driver.#start(node, 1);
    return driver;
  }

  /**
   * Sends records to a topic, or as lines to a node whose source is a file (appended to its file; the
   * node runs to the file's end, from where it got before), and settles (unless `settle: false`, to crash
   * stages while they work).
   */
  input(name: string): { send(records: InputRecordSpec | readonly InputRecordSpec[], options?: { settle?: boolean }): Promise<void> } {
    const lineNode = this.topology.nodes.find((n) => n.id === name && isInputNode(n));
    const topic = lineNode === undefined ? this.#topic(name) : '';
    return {
      send: async (records, options = {}) => {
        const list: readonly InputRecordSpec[] = Array.isArray(records) ? records : [records as InputRecordSpec];
        const lines = list.map((r) => `${r.raw ?? (typeof r.value === 'string' ? r.value : JSON.stringify(r.value))}\n`);
        if (lineNode?.input.kind === 'stdin') {
          // A process has one stdin, read once to its end.
          if (this.#stdinUsed) throw new SluiceError(ErrorCodes.CLI_USAGE, `stdin was given already; ${lineNode.id} reads it once, to its end`);
          this.#stdinUsed = true;
          await this.#start(lineNode, 1, Readable.from(lines));
        } else if (lineNode !== undefined) {
          await appendFile(inputFileOf(this.#dir, lineNode), lines.join(''));
          if ((this.#instances.get(lineNode.id) ?? []).length === 0) await this.#start(lineNode, 1);
        } else {
          const outgoing = await outgoingRecords(this.#resources, topic, list, this.#lastTimestamp);
          this.#lastTimestamp = outgoing.at(-1)?.timestamp ?? this.#lastTimestamp;
          await sendAll(this.#transport, outgoing);
        }
        if (options.settle !== false) await this.settle();
      },
    };
  }

  /** What `topic` received since the last read of it. */
  output(name: string): { read(): Promise<OutputRecord[]> } {
    const topic = this.#topic(name);
    return { read: () => readTopicRecords(this.#transport, this.#resources, topic, this.#positionsOf(topic)) };
  }

  /** What a node's file or stdout sink has written (all of it): each line as JSON when it is JSON, else its text. */
  async sinkLines(node: string): Promise<unknown[]> {
    const n = this.topology.nodes.find((x) => x.id === node);
    if (n === undefined || !isSinkNode(n)) {
      throw new SluiceError(ErrorCodes.CLI_USAGE, `\`${node}\` is not a node of ${this.topology.name} with a file or stdout sink (${nodeIds(this.topology.nodes.filter(isSinkNode))})`);
    }
    // Every stdout sink of a topology writes the one stdout.
    const text = n.output.kind === 'stdout' ? this.#printed : await readFile(n.output.path, 'utf8').catch(() => '');
    return text.split('\n').filter((l) => l !== '').map(parseLine);
  }

  /** The dead letters of a node (or of a dead-letter topic) since the last call for it. */
  deadLetters(name: string): Promise<DeadLetter[]> {
    const topic = deadLetterTopicNamed(this.topology, name) ?? deadLetterTopicNamed(this.topology, `${this.namespace}${name}`);
    if (topic === undefined) throw new SluiceError(ErrorCodes.CLI_USAGE, `\`${name}\` is neither a node of ${this.topology.name} nor a dead-letter topic of one`);
    return readDeadLetters(this.#transport, topic, this.#positionsOf(`dlq:${topic}`));
  }

  /** The aggregate store of a windowed node, by key, from the instance that owns the key. */
  store(node: string): { get(key: string): StoreAnswer & { owned: true; type: 'window' } } {
    const instances = this.#instances.get(this.#windowNode(node).id)!;
    return {
      get: (key) => {
        for (const { stage } of instances) {
          const answer = stage.query(AGGREGATE_STORE, key);
          if (answer.owned && answer.type === 'window') return answer;
        }
        throw new SluiceError(ErrorCodes.KEY_NOT_OWNED, `no instance of ${node} owns key ${JSON.stringify(key)} now`, { context: { stage: node } });
      },
    };
  }

  /**
   * Kills every instance of `node` as a crash would (what it has not committed is dropped, its
   * stores' uncommitted changes with it), starts as many again from the committed offsets and the
   * changelogs, and settles.
   */
  async crash(node: string): Promise<void> {
    for (const n of this.#nodesOf(node)) await this.#crash(n);
    await this.settle();
  }

  /**
   * Until the stages have done what they can without committing: file sources at the end of their
   * files, and no topic's end offset moving for a while. A crash then drops the most work.
   */
  async quiesce(): Promise<void> {
    for (const [id, list] of this.#instances) if (this.#endsByItself(id)) await Promise.all(list.map((i) => i.running));
    const topics = Object.keys(this.topology.topics);
    const ends = async () => JSON.stringify(await Promise.all(topics.map((t) => this.#transport.endOffsets(t))));
    const deadline = Date.now() + this.#settleTimeoutMs;
    let last = await ends();
    for (let still = 0; still < QUIET_POLLS && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, QUIET_POLL_MS));
      const now = await ends();
      still = now === last ? still + 1 : 0;
      last = now;
    }
    this.#throwFailures();
  }

  /** Crashes every stage at once, wherever each is in its work, and starts them again; does not settle. */
  async crashAll(): Promise<void> {
    const nodes = [...this.#instances.keys()].map((id) => this.topology.nodes.find((n) => n.id === id)!);
    await Promise.all(nodes.map((n) => this.#crash(n)));
  }

  async #crash(node: TopologyNode): Promise<void> {
    const instances = [...this.#instances.get(node.id)!];
    this.#instances.set(node.id, []);
    for (const { stage, running } of instances) {
      stage.crash('crashed by the test driver');
      await running;
    }
    await this.#start(node, instances.length);
  }

  /** Runs `instances` instances of `node` (its consumer group rebalances), then settles. */
  async rebalance(node: string, instances: number): Promise<void> {
    if (!Number.isInteger(instances) || instances < 1) throw new SluiceError(ErrorCodes.CLI_USAGE, `instances must be a whole number ≥ 1, not ${instances}`);
    for (const n of this.#nodesOf(node)) {
      const running = this.#instances.get(n.id)!;
      while (running.length > instances) {
        const { stage, running: done } = running.pop()!;
        stage.stop();
        await done;
      }
      if (running.length < instances) await this.#start(n, instances - running.length);
    }
    await this.settle();
  }

  /**
   * Moves event time on by `by` (ms, or a duration such as `2m`) past the latest event time any record
   * sent or any window has seen, in every window's every task, closing what that closes; then settles.
   */
  async advanceTime(by: number | string): Promise<void> {
    const ms = typeof by === 'number' ? by : parseDuration(by);
    if (ms === undefined || ms < 0) throw new SluiceError(ErrorCodes.CLI_USAGE, `advanceTime takes milliseconds or a duration such as 2m, not ${JSON.stringify(by)}`);
    // Everything sent reaches its windows first, as the records it stands after would.
    await this.settle();
    const stages = [...this.#instances.values()].flat().map((i) => i.stage);
    const now = Math.max(this.#lastTimestamp, ...stages.map((s) => s.streamTime)) + ms;
    this.#lastTimestamp = now;
    for (const stage of stages) stage.advanceStreamTime(now);
    // What that closed is emitted with nothing new read: a commit of each stage writes it, then what
    // reads it downstream settles as after a send.
    for (const stage of stages) await stage.commit();
    await this.settle();
  }

  /** Until every stage's group has committed its input topics to their end (see above). */
  async settle(): Promise<void> {
    const deadline = Date.now() + this.#settleTimeoutMs;
    // File sources end at the end of their file.
    for (const [id, list] of this.#instances) if (this.#endsByItself(id)) await Promise.all(list.map((i) => i.running));
    for (;;) {
      this.#throwFailures();
      const behind = await this.#behind();
      if (behind.size === 0) return;
      if (Date.now() > deadline) {
        const where = [...behind.values()].flat().join(', ');
        throw new SluiceError(ErrorCodes.SHUTDOWN, `the topology did not settle within ${this.#settleTimeoutMs} ms: ${where}`, { context: { topology: this.topology.name } });
      }
      // Upstream first, and a stage only once it has finished its input: each commit then covers all
      // there is, so a table's updates are the same however fast the records went through.
      for (const [id, list] of this.#instances) {
        if (!behind.has(id) || this.#writersOf(id).some((w) => behind.has(w))) continue;
        for (const { stage } of list) {
          stage.inputsWritten();
          if (await stage.idle()) await stage.commit();
        }
      }
      await new Promise((resolve) => setTimeout(resolve, this.#pollMs));
    }
  }

  /** The running nodes that write the topics node `id` reads. */
  #writersOf(id: string): string[] {
    const node = this.topology.nodes.find((n) => n.id === id)!;
    if (node.input.kind !== 'topics') return [];
    const reads = new Set(node.input.topics);
    return this.topology.nodes.filter((n) => n.id !== id && this.#instances.has(n.id) && n.writes.some((t) => reads.has(t))).map((n) => n.id);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const list of this.#instances.values()) for (const { stage } of list) stage.stop();
    await Promise.all([...this.#instances.values()].flat().map((i) => i.running));
    this.#instances.clear();
    await rm(this.#dir, { recursive: true, force: true });
    // Stages create their dead-letter topics themselves: a topology need not declare them.
    const topics = [...Object.keys(this.topology.topics), ...this.topology.nodes.map((n) => deadLetterTopicOf(this.topology, n))];
    if (this.namespace !== '') await this.#admin.deleteTopics([...new Set(topics)]).catch((err: unknown) => this.#logger.warn({ err }, 'could not delete the test topics'));
    await this.#admin.close();
    this.#throwFailures();
  }

  async #start(node: TopologyNode, count: number, stdin?: Readable): Promise<void> {
    const list = this.#instances.get(node.id) ?? [];
    this.#instances.set(node.id, list);
    for (let i = 0; i < count; i++) {
      const stage = await Stage.create({
        topology: this.topology,
        node,
        transport: this.#transport,
        resources: this.#resources,
        logger: this.#logger,
        commitIntervalMs: COMMIT_INTERVAL_MS,
        stateDir: undefined,
        stdout: this.#stdout,
        ...(stdin !== undefined ? { stdin } : {}),
      });
      const instance: Instance = { stage, running: Promise.resolve() };
      instance.running = stage
        .run()
        .catch((error: unknown) => {
          // A crash the driver asked for is not a failure of the topology.
          if (!(error instanceof SluiceError && error.code === ErrorCodes.SHUTDOWN)) this.#failures.push({ node: node.id, error });
        })
        .finally(() => {
          // A file source's stage ends at the end of its file; the next send starts another.
          if (node.input.kind !== 'topics' && list.includes(instance)) list.splice(list.indexOf(instance), 1);
        });
      list.push(instance);
    }
  }

  /** Per running node, `topic[partition] committed/end` for every input partition not committed to its end. */
  async #behind(): Promise<Map<string, string[]>> {
    const behind = new Map<string, string[]>();
    // Once per topic and poll, however many nodes read it.
    const ends = new Map<string, ReturnType<Transport['endOffsets']>>();
    const endOf = (topic: string) => ends.get(topic) ?? ends.set(topic, this.#transport.endOffsets(topic)).get(topic)!;
    for (const id of this.#instances.keys()) {
      const node = this.topology.nodes.find((n) => n.id === id)!;
      if (node.input.kind !== 'topics') continue;
      const group = groupIdOf(this.topology, node);
      const committed = await this.#admin.committedOffsets(group, node.input.topics);
      // An instance restarted after a crash may still be joining with everything committed: until its
      // tasks are back, time advanced would pass them by.
      const owned = new Set(this.#instances.get(id)!.flatMap((i) => i.stage.partitions));
      for (const topic of node.input.topics) {
        const done = new Map((committed.get(topic) ?? []).map((c) => [c.partition, BigInt(c.offset ?? '0')]));
        for (const { partition, offset } of await endOf(topic)) {
          const end = BigInt(offset ?? '0');
          const at = done.get(partition) ?? 0n;
          if (at < end) behind.set(id, [...(behind.get(id) ?? []), `${node.id} ${topic}[${partition}] ${at}/${end}`]);
          else if (!owned.has(partition)) behind.set(id, [...(behind.get(id) ?? []), `${node.id} ${topic}[${partition}] not assigned`]);
        }
      }
    }
    return behind;
  }

  #throwFailures(): void {
    const failure = this.#failures.shift();
    if (failure === undefined) return;
    const { node, error } = failure;
    throw new SluiceError(error instanceof SluiceError ? error.code : ErrorCodes.SHUTDOWN, `stage ${node} failed: ${error instanceof Error ? error.message : String(error)}`, {
      context: { stage: node },
      cause: error,
    });
  }

  /** Nodes whose stage ends by itself: file and stdin sources, read to their end. */
  #endsByItself(id: string): boolean {
    const kind = this.topology.nodes.find((n) => n.id === id)?.input.kind;
    return kind === 'file' || kind === 'stdin';
  }

  /** The topic a name means: as the topology file names it, or as it runs here (namespaced). */
  #topic(name: string): string {
    for (const topic of [`${this.namespace}${name}`, name]) if (this.topology.topics[topic] !== undefined) return topic;
    const names = Object.keys(this.topology.topics).map((t) => t.slice(this.namespace.length));
    throw new SluiceError(ErrorCodes.CLI_USAGE, `\`${name}\` is not a topic of ${this.topology.name}: ${names.join(', ')}`);
  }

  #positionsOf(name: string): ReadPositions {
    let at = this.#positions.get(name);
    if (at === undefined) this.#positions.set(name, (at = new Map()));
    return at;
  }

  /** The running nodes `id` names: itself, and the window half a repartition split off it. */
  #nodesOf(id: string): TopologyNode[] {
    const nodes = this.topology.nodes.filter((n) => this.#instances.has(n.id) && (n.id === id || n.id === `${id}.window`));
    if (nodes.length === 0) throw new SluiceError(ErrorCodes.CLI_USAGE, `\`${id}\` is not a node of ${this.topology.name} that reads topics`);
    return nodes;
  }

  #windowNode(id: string): TopologyNode {
    const node = this.#nodesOf(id).find((n) => n.window !== undefined);
    if (node === undefined) throw new SluiceError(ErrorCodes.STORE_UNKNOWN, `node \`${id}\` keeps no store`, { context: { stage: id } });
    return node;
  }
}

/** A sink's line as a test writes it: a JSON document when it is one, else its text. */
function parseLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function inputFileOf(dir: string, node: TopologyNode): string {
  return path.join(dir, `${node.id}.in`);
}

/** File sources and sinks in `dir`, so a test never reads or writes beside the topology. */
function hermetic(topology: Topology, dir: string): Topology {
  const nodes = topology.nodes.map((n) => ({
    ...n,
    ...(n.input.kind === 'file' ? { input: { ...n.input, path: inputFileOf(dir, n) } } : {}),
    ...(n.output.kind === 'file' ? { output: { ...n.output, path: path.join(dir, `${n.id}.out`), mode: 'append' as const } } : {}),
  }));
  return { ...topology, nodes };
}

export function createTopologyTestDriver(file: string, options: TestDriverOptions = {}): Promise<TopologyTestDriver> {
  return TopologyTestDriver.create(file, options);
}
