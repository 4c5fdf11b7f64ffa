/**
 * Runs one test case: a fresh embedded broker of its own, the case's records
 * written to their topics (or given to their nodes' file and stdin sources),
 * the topology run until every stage has caught up, then what its topics,
 * file and stdout sinks and dead-letter topics hold read back for matching.
 *
 * The case is hermetic: source nodes the case gives nothing to do not run (a
 * test does not read the topology's own data files), file sinks write into a
 * directory of the case's own, stdout sinks into memory, and state stays in
 * memory.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { silentLogger, type Logger } from '../core/index.ts';
import { TopologyResources, TopologyRun, topicSpecsOf, type DeadLetter, type RunReport } from '../runtime/index.ts';
import { physicalTopology, type Topology, type TopologyNode } from '../topology/index.ts';
import { createEmbeddedTransport, EmbeddedBroker, type Transport } from '../transport/index.ts';
import type { OutputRecord } from './match.ts';
import { outgoingRecords, readTopicRecords, sendAll } from './records.ts';
import type { TestCaseSpec } from './test-file.ts';

/** What a case's run left, by the names its expectations use. */
export interface CaseOutputs {
  /** By topic, or by the id of a node with a file or stdout sink. */
  records: Map<string, OutputRecord[]>;
  /** By dead-letter topic. */
  deadLetters: Map<string, DeadLetter[]>;
  failed: RunReport['failed'];
}

export interface CaseContext {
  topology: Topology;
  resources: TopologyResources;
  env: NodeJS.ProcessEnv;
  logger?: Logger;
}

function line(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/** A sink's line as a test writes it: a JSON document when it is one, else its text. */
function parseLine(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const ONE_HOUR_MS = 3_600_000;

class CaseRun {
  readonly #ctx: CaseContext;
  readonly #case: TestCaseSpec;
  readonly #dir: string;
  readonly #stdout = new Map<string, string[]>();
  readonly #stdin = new Map<string, Readable>();

  constructor(ctx: CaseContext, spec: TestCaseSpec, dir: string) {
    this.#ctx = ctx;
    this.#case = spec;
    this.#dir = dir;
  }

  /** The topology with the case's file inputs, file sinks in its directory, and the nodes that run. */
  async #plan(): Promise<{ topology: Topology; nodes: string[] }> {
    const { topology } = this.#ctx;
    const nodes: TopologyNode[] = [];
    for (const node of topology.nodes) {
      const given = this.#case.input[node.id];
      if (node.input.kind !== 'topics' && given === undefined) continue;
      let input = node.input;
      if (given !== undefined && input.kind === 'file') {
        const file = path.join(this.#dir, `${node.id}.in`);
        await writeFile(file, given.map((r) => `${line(r.value)}\n`).join(''));
        input = { ...input, path: file };
      } else if (given !== undefined && input.kind === 'stdin') {
        this.#stdin.set(node.id, Readable.from(given.map((r) => `${line(r.value)}\n`)));
      }
      const output = node.output.kind === 'file' ? { ...node.output, path: path.join(this.#dir, `${node.id}.out`), mode: 'append' as const } : node.output;
      nodes.push({ ...node, input, output });
    }
    const byId = new Map(nodes.map((n) => [n.id, n]));
    return { topology: { ...topology, nodes: topology.nodes.map((n) => byId.get(n.id) ?? n) }, nodes: nodes.map((n) => n.id) };
  }

  async #writeInputs(transport: Transport): Promise<void> {
    const { resources, topology } = this.#ctx;
    const records = Object.entries(this.#case.input).flatMap(([topic, given]) => (topology.topics[topic] === undefined ? [] : outgoingRecords(resources, topic, given)));
    await sendAll(transport, records);
  }

  async #readSink(node: TopologyNode): Promise<OutputRecord[]> {
    const lines = node.output.kind === 'stdout' ? (this.#stdout.get(node.id) ?? []) : (await readFile(path.join(this.#dir, `${node.id}.out`), 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
    return lines.map((text, i) => ({ key: null, value: parseLine(text), headers: {}, partition: 0, offset: String(i), timestamp: 0 }));
  }

  async run(): Promise<CaseOutputs> {
    const { topology, nodes } = await this.#plan();
    const transport = createEmbeddedTransport(new EmbeddedBroker());
    await transport.createTopics(topicSpecsOf(physicalTopology(topology, '')));
    await this.#writeInputs(transport);
    const stdout = new PassThrough();
    const printed: string[] = [];
    let pending = '';
    stdout.on('data', (chunk: Buffer) => {
      const parts = (pending + chunk.toString('utf8')).split('\n');
      pending = parts.pop()!;
      printed.push(...parts);
    });
    const stdoutNodes = topology.nodes.filter((n) => n.output.kind === 'stdout' && nodes.includes(n.id));
    const stdin = [...this.#stdin.values()][0];
    const run = await TopologyRun.start({
      topology,
      transport,
      logger: this.#ctx.logger ?? silentLogger,
      nodes,
      untilCaughtUp: true,
      // One commit, at the end: a global window emits its table updates on commit, so the updates a
      // case sees would otherwise depend on how fast the machine is.
      commitIntervalMs: ONE_HOUR_MS,
      env: this.#ctx.env,
      ...(stdin !== undefined ? { stdin } : {}),
      stdout,
    });
    const report = await run.done;
    stdout.end();
    // One stdout is shared by every stdout sink of a run: a case reads it as the only one's.
    for (const n of stdoutNodes) this.#stdout.set(n.id, printed);
    const records = new Map<string, OutputRecord[]>();
    for (const name of Object.keys(this.#case.expect)) {
      const node = topology.nodes.find((n) => n.id === name);
      records.set(name, topology.topics[name] !== undefined ? await readTopicRecords(transport, this.#ctx.resources, name) : await this.#readSink(node!));
    }
    const deadLetters = new Map<string, DeadLetter[]>();
    for (const t of report.deadLetters ?? []) deadLetters.set(t.topic, t.deadLetters);
    return { records, deadLetters, failed: report.failed };
  }
}

export async function runCase(ctx: CaseContext, spec: TestCaseSpec): Promise<CaseOutputs> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sluice-test-'));
  try {
    return await new CaseRun(ctx, spec, dir).run();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
