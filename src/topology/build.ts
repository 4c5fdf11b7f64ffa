/**
 * From the parsed file to the Topology description: defaults filled in, names
 * cross-checked (schemas, codecs), every path resolved and confined to the
 * root. Problems are reported, not thrown, so one run lists them all.
 */
import path from 'node:path';
import { ErrorCodes, exposedWithoutToken, type ErrorCode } from '../core/index.ts';
import { resolveInside, type StreamJoinSpec, type Step, type WindowedAggregate } from '../processors/index.ts';
import type { Encoding, HttpInput, NodeInput, NodeOutput, RetrySpec, SchemaRef, SchemaRegistryConfig, TopicSpec, Topology, TopologyNode, Trigger } from './model.ts';
import type { PathSegment } from './problems.ts';
import type { ReportOptions } from './reporter.ts';
import type { FileFormat, NodeConfig, SinkConfig, SourceConfig, TopologyFile } from './schema.ts';
import { tablesOf } from './copartition.ts';
import { didYouMean } from './suggest.ts';

export interface BuildContext {
  /** Absolute path of the topology file. */
  file: string;
  root: string;
  report: (code: ErrorCode, path: PathSegment[], message: string, options?: ReportOptions) => void;
  position: (path: PathSegment[]) => { line: number; column: number };
}

/** The same defaults the runtime's retry policy uses. */
const defaultRetries: RetrySpec = { attempts: 5, backoffMs: 100, maxBackoffMs: 10_000 };

const textSafeCodecs = new Set(['base64', 'hex']);

export type Draft = Omit<Topology, 'vertices' | 'edges'>;

function nullRecord<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function firstCodec(chain: string): string {
  return (chain.split('|')[0] ?? '').trim();
}

function isAvroChain(chain: string): boolean {
  return firstCodec(chain).startsWith('avro');
}

class Builder {
  private readonly dir: string;
  private readonly usedSchemas = new Set<string>();
  /** Resolved paths that escaped the root: reported already, and never opened. */
  readonly escaped = new Set<string>();

  constructor(
    private readonly config: TopologyFile,
    private readonly ctx: BuildContext,
  ) {
    this.dir = path.dirname(ctx.file);
  }

  private report(code: ErrorCode, at: PathSegment[], message: string, options?: ReportOptions): void {
    this.ctx.report(code, at, message, options);
  }

  /** Resolves a path from the file; reports and returns the lexical path if it escapes the root. */
  private async resolvePath(spec: string, at: PathSegment[]): Promise<string> {
    const confined = await resolveInside(this.ctx.root, this.dir, spec);
    if (confined.ok) return confined.path;
    this.report(ErrorCodes.TOPOLOGY_UNSAFE, at, confined.reason);
    const lexical = path.resolve(this.dir, spec);
    this.escaped.add(lexical);
    return lexical;
  }

  /** Checks that a schema name is declared under `schemas`. */
  private schemaName(name: string | undefined, at: PathSegment[]): string | undefined {
    if (name === undefined) return undefined;
    this.usedSchemas.add(name);
    const declared = Object.keys(this.config.schemas ?? {});
    if (!declared.includes(name)) {
      const suggestion = didYouMean(name, declared);
      this.report(ErrorCodes.SCHEMA_NOT_FOUND, at, `schema \`${name}\` is not declared under \`schemas\``, {
        hint: suggestion || 'add it: `schemas: { ' + name + ': ./schemas/' + name.toLowerCase() + '.avsc }`',
      });
    }
    return name;
  }

  async schemaRegistry(): Promise<SchemaRegistryConfig | undefined> {
    const r = this.config['schema-registry'];
    if (r === undefined) return undefined;
    return {
      ...(r.url !== undefined ? { url: r.url } : {}),
      ...(r.dir !== undefined ? { dir: await this.resolvePath(r.dir, ['schema-registry', 'dir']) } : {}),
      subject: r.subject ?? 'topic',
      autoRegister: r['auto-register'] ?? true,
      ...(r.auth !== undefined ? { auth: r.auth } : {}),
    };
  }

  async schemas(): Promise<Record<string, SchemaRef>> {
    const out = nullRecord<SchemaRef>();
    await Promise.all(
      Object.entries(this.config.schemas ?? {}).map(async ([name, spec]) => {
        out[name] = { name, path: await this.resolvePath(spec, ['schemas', name]) };
      }),
    );
    return out;
  }

  private topicSpec(name: string, declared: boolean, deadLetter: boolean): TopicSpec {
    const d = this.config.defaults ?? {};
    const t = (declared ? this.config.topics?.[name] : undefined) ?? {};
    const retention = t.retention === 'forever' ? -1 : t.retention;
    return {
      name,
      partitions: t.partitions ?? d.partitions ?? 1,
      replication: t.replication ?? d.replication ?? 1,
      cleanup: t.cleanup ?? 'delete',
      ...(retention !== undefined ? { retentionMs: retention } : {}),
      ...(t.schema !== undefined ? { schema: t.schema } : {}),
      codec: t.codec ?? d.codec ?? 'json',
      compression: t.compression ?? d.compression ?? 'lz4',
      declared,
      deadLetter,
      repartition: false,
    };
  }

  topics(nodes: readonly TopologyNode[]): Record<string, TopicSpec> {
    const out = nullRecord<TopicSpec>();
    const deadLetters = new Set(nodes.flatMap((n) => (n.deadLetter === undefined ? [] : [n.deadLetter])));
    for (const name of Object.keys(this.config.topics ?? {})) {
      this.schemaName(this.config.topics?.[name]?.schema, ['topics', name, 'schema']);
      out[name] = this.topicSpec(name, true, deadLetters.has(name));
    }
    for (const n of nodes) {
      for (const t of [...n.writes, ...(n.deadLetter !== undefined ? [n.deadLetter] : [])]) {
        if (!Object.hasOwn(out, t)) out[t] = this.topicSpec(t, false, deadLetters.has(t));
      }
    }
    for (const t of Object.values(out)) {
      // Dead-letter topics hold the failed records' original bytes, so their codec names no schema of their own.
      if (t.deadLetter || !isAvroChain(t.codec) || t.schema !== undefined) continue;
      const writer = nodes.find((n) => n.writes.includes(t.name));
      const at: PathSegment[] = t.declared ? ['topics', t.name] : ['nodes', writer?.id ?? '', 'to'];
      this.report(ErrorCodes.SCHEMA_NOT_FOUND, at, `topic \`${t.name}\` uses codec \`${t.codec}\` but has no schema`, {
        hint: t.declared ? 'add `schema: NAME`, or set `codec: json`' : 'declare it under `topics:` with a `schema`, or give it `codec: json`',
        ...(t.declared ? { atKey: true } : {}),
      });
    }
    return out;
  }

  private encoding(
    cfg: { format?: FileFormat | undefined; codec?: string | undefined; schema?: string | undefined },
    file: string | undefined,
    at: PathSegment[],
  ): Encoding {
    const ext = file === undefined ? '' : path.extname(file).toLowerCase();
    const inferred: FileFormat | undefined =
      cfg.format ??
      (cfg.codec !== undefined ? 'lines'
        : file === undefined ? 'ndjson'
        : ext === '.ndjson' || ext === '.jsonl' ? 'ndjson'
        : ext === '.avro' ? 'avro'
        : ext === '.txt' || ext === '.log' ? 'lines'
        : undefined);
    if (inferred === undefined) {
      this.report(ErrorCodes.TOPOLOGY_INVALID, [...at, 'file'], `cannot tell the format of \`${file}\` from its extension`, {
        hint: 'add `format: ndjson`, `format: avro` or `format: lines`',
      });
    }
    const schema = this.schemaName(cfg.schema, [...at, 'schema']);
    if (cfg.codec !== undefined) {
      if (isAvroChain(cfg.codec) && schema === undefined) {
        this.report(ErrorCodes.SCHEMA_NOT_FOUND, [...at, 'codec'], `codec \`${cfg.codec}\` needs a schema`, { hint: 'add `schema: NAME`' });
      }
      const last = (cfg.codec.split('|').pop() ?? '').trim();
      if (!textSafeCodecs.has(last)) {
        this.report(ErrorCodes.TOPOLOGY_INVALID, [...at, 'codec'], `a \`lines\` file holds one encoded record per line, but \`${last}\` writes raw bytes`, {
          hint: `end the chain with \`base64\`: \`${cfg.codec}|base64\``,
        });
      }
    }
    return {
      format: inferred ?? 'ndjson',
      ...(cfg.codec !== undefined ? { codec: cfg.codec } : {}),
      ...(schema !== undefined ? { schema } : {}),
    };
  }

  private async input(n: NodeConfig, at: PathSegment[]): Promise<NodeInput> {
    if (n.from !== undefined) return { kind: 'topics', topics: typeof n.from === 'string' ? [n.from] : [...new Set(n.from)] };
    const s = n.source as SourceConfig;
    const sat = [...at, 'source'];
    const timestamp = s.timestamp !== undefined ? { timestamp: s.timestamp } : {};
    if (s.file !== undefined) {
      return { kind: 'file', path: await this.resolvePath(s.file, [...sat, 'file']), ...this.encoding(s, s.file, sat), ...timestamp };
    }
    if (s.stdin !== undefined) return { kind: 'stdin', ...this.encoding(s, undefined, sat), ...timestamp };
    if (s.generator !== undefined) {
      const g = s.generator;
      return {
        kind: 'generator',
        schema: this.schemaName(g.schema, [...sat, 'generator', 'schema']) as string,
        ...(g.rate !== undefined ? { ratePerSecond: g.rate } : {}),
        ...(g.count !== undefined ? { count: g.count } : {}),
        ...(g.seed !== undefined ? { seed: g.seed } : {}),
        ...timestamp,
      };
    }
    return this.httpInput(String(at[1]), s.http as NonNullable<SourceConfig['http']>, [...sat, 'http'], timestamp);
  }

  private httpInput(node: string, h: NonNullable<SourceConfig['http']>, at: PathSegment[], timestamp: { timestamp?: string }): HttpInput {
    if (exposedWithoutToken({ host: h.host ?? '127.0.0.1', token: h.token, insecureNoToken: h['insecure-no-token'] })) {
      this.report(ErrorCodes.INSECURE_REFUSED, [...at, 'host'], `node \`${node}\`: its HTTP source would listen on ${h.host}, which is not a loopback address, needs a token: anyone who reaches it could inject records`, {
        hint: 'add `token: ${INGEST_TOKEN}` (clients send `Authorization: Bearer <token>`), or `insecure-no-token: true` to serve it open',
      });
    }
    const body = h['max-body-bytes'];
    const inFlight = h['max-in-flight-bytes'];
    if (body !== undefined && inFlight !== undefined && inFlight < body) {
      this.report(ErrorCodes.TOPOLOGY_INVALID, [...at, 'max-in-flight-bytes'], `node \`${node}\`: \`max-in-flight-bytes\` (${inFlight}) is less than \`max-body-bytes\` (${body}): a body of the largest size could never be taken`);
    }
    return {
      kind: 'http',
      port: h.port,
      path: h.path ?? '/',
      ...(h.host !== undefined ? { host: h.host } : {}),
      ...(h.token !== undefined ? { token: h.token } : {}),
      ...(h['allow-hosts'] !== undefined ? { allowHosts: h['allow-hosts'] } : {}),
      ...(h['allow-origins'] !== undefined ? { allowOrigins: h['allow-origins'] } : {}),
      ...(h['insecure-no-token'] !== undefined ? { insecureNoToken: h['insecure-no-token'] } : {}),
      ...(body !== undefined ? { maxBodyBytes: body } : {}),
      ...(inFlight !== undefined ? { maxInFlightBytes: inFlight } : {}),
      ...(h['request-timeout'] !== undefined ? { requestTimeoutMs: h['request-timeout'] } : {}),
      ...timestamp,
    };
  }

  private async output(n: NodeConfig, at: PathSegment[]): Promise<NodeOutput> {
    if (n.to !== undefined) return { kind: 'topic', topic: n.to };
    if (n.branch !== undefined) return { kind: 'branch', routes: n.branch };
    const s = n.sink as SinkConfig;
    const sat = [...at, 'sink'];
    const enc = this.encoding(s, s.file, sat);
    if (enc.format === 'avro' && enc.schema === undefined) {
      this.report(ErrorCodes.SCHEMA_NOT_FOUND, sat, 'an Avro file sink needs `schema: NAME` for the records it writes');
    }
    if (s.file !== undefined) return { kind: 'file', path: await this.resolvePath(s.file, [...sat, 'file']), mode: s.mode ?? 'append', ...enc };
    return { kind: 'stdout', ...enc };
  }

  private async steps(n: NodeConfig, at: PathSegment[]): Promise<Step[]> {
    return Promise.all(
      (n.process ?? []).map(async (step, i): Promise<Step> =>
        step.kind === 'module' ? { ...step, module: await this.resolvePath(step.module, [...at, 'process', i, 'map', 'module']) } : step,
      ),
    );
  }

  private async window(n: NodeConfig, at: PathSegment[]): Promise<WindowedAggregate | undefined> {
    const w = n.window;
    if (w === undefined || w.aggregate.kind !== 'module') return w;
    const module = await this.resolvePath(w.aggregate.module, [...at, 'window', 'aggregate', 'module']);
    return { ...w, aggregate: { ...w.aggregate, module } };
  }

  private retries(n: NodeConfig): RetrySpec {
    const r = n.retries;
    if (r === undefined) return defaultRetries;
    if (typeof r === 'number') return { ...defaultRetries, attempts: r };
    return {
      attempts: r.attempts ?? defaultRetries.attempts,
      backoffMs: r.backoff ?? defaultRetries.backoffMs,
      maxBackoffMs: r['max-backoff'] ?? defaultRetries.maxBackoffMs,
    };
  }

  async node(id: string, n: NodeConfig): Promise<TopologyNode> {
    const at: PathSegment[] = ['nodes', id];
    const [written, output, process, window] = await Promise.all([this.input(n, at), this.output(n, at), this.steps(n, at), this.window(n, at)]);
    const input = withJoinedStream(written, n.join);
    const schema = this.schemaName(n.schema, [...at, 'schema']);
    const trigger: Trigger = n.trigger === undefined || n.trigger === 'always' ? { kind: 'always' } : { kind: 'cron', cron: n.trigger.cron };
    const writes = output.kind === 'topic' ? [output.topic] : output.kind === 'branch' ? [...new Set(output.routes.map((r) => r.to))] : [];
    const { line, column } = this.ctx.position(at);
    return {
      id,
      ...(n.description !== undefined ? { description: n.description } : {}),
      input,
      ...(schema !== undefined ? { schema } : {}),
      process,
      ...(window !== undefined ? { window } : {}),
      ...(n.join !== undefined ? { join: n.join } : {}),
      output,
      ...(n['dead-letter'] !== undefined ? { deadLetter: n['dead-letter'] } : {}),
      instances: n.instances ?? 1,
      guarantee: n.guarantee ?? this.config.defaults?.guarantee ?? 'at-least-once',
      trigger,
      ...(n.codec !== undefined ? { codec: n.codec } : {}),
      retries: this.retries(n),
      maxTaskIdleMs: n['max-task-idle'] ?? 0,
      // A table is read with the input (copartition.ts): its edge is a read too.
      reads: input.kind === 'topics' ? [...input.topics, ...tablesOf({ process }).filter((t) => !input.topics.includes(t))] : [],
      writes,
      line,
      column,
    };
  }

  /** A node's `codec` override on an Avro chain needs a schema on the topic it writes. */
  checkNodeCodecs(nodes: readonly TopologyNode[], topics: Readonly<Record<string, TopicSpec>>): void {
    for (const n of nodes) {
      if (n.codec === undefined || !isAvroChain(n.codec)) continue;
      for (const t of n.writes) {
        if (topics[t]?.schema === undefined) {
          this.report(ErrorCodes.SCHEMA_NOT_FOUND, ['nodes', n.id, 'codec'], `codec \`${n.codec}\` needs a schema, and topic \`${t}\` has none`, {
            hint: `declare \`${t}\` under \`topics:\` with a \`schema\``,
          });
        }
      }
    }
  }

  warnUnused(nodes: readonly TopologyNode[]): void {
    for (const name of Object.keys(this.config.schemas ?? {})) {
      if (!this.usedSchemas.has(name)) {
        this.report(ErrorCodes.TOPOLOGY_INVALID, ['schemas', name], `schema \`${name}\` is declared but never used`, { warning: true, atKey: true });
      }
    }
    const used = new Set(nodes.flatMap((n) => [...n.reads, ...n.writes, ...(n.deadLetter !== undefined ? [n.deadLetter] : [])]));
    for (const name of Object.keys(this.config.topics ?? {})) {
      if (!used.has(name)) {
        this.report(ErrorCodes.TOPOLOGY_INVALID, ['topics', name], `topic \`${name}\` is declared but no node reads or writes it`, { warning: true, atKey: true });
      }
    }
  }
}

/** A stream join's right side is one more input topic of the node. */
function withJoinedStream(input: NodeInput, join: StreamJoinSpec | undefined): NodeInput {
  if (join === undefined || input.kind !== 'topics' || input.topics.includes(join.stream)) return input;
  return { kind: 'topics', topics: [...input.topics, join.stream] };
}

function brokersOf(brokers: string | string[]): string[] {
  const list = typeof brokers === 'string' ? brokers.split(',') : brokers;
  return list.map((b) => b.trim()).filter((b) => b !== '');
}

export interface Built {
  draft: Draft;
  /** Paths that escaped the root; checks that open files must skip them. */
  escaped: ReadonlySet<string>;
}

/** Builds the description; problems go to `ctx.report`. The result is meaningful only when none were reported. */
export async function buildTopology(config: TopologyFile, ctx: BuildContext): Promise<Built> {
  const b = new Builder(config, ctx);
  const [schemas, registry, nodes] = await Promise.all([
    b.schemas(),
    b.schemaRegistry(),
    Promise.all(Object.entries(config.nodes).map(([id, n]) => b.node(id, n))),
  ]);
  const topics = b.topics(nodes);
  b.checkNodeCodecs(nodes, topics);
  b.warnUnused(nodes);
  const k = config.kafka;
  const draft: Draft = {
    name: config.name,
    ...(config.description !== undefined ? { description: config.description } : {}),
    file: ctx.file,
    dir: path.dirname(ctx.file),
    root: ctx.root,
    ...(k !== undefined
      ? {
          kafka: {
            brokers: brokersOf(k.brokers),
            ...(k['client-id'] !== undefined ? { clientId: k['client-id'] } : {}),
            ...(k.client !== undefined ? { client: k.client } : {}),
            ssl: k.ssl ?? false,
            ...(k.sasl !== undefined ? { sasl: k.sasl } : {}),
          },
        }
      : {}),
    ...(registry !== undefined ? { schemaRegistry: registry } : {}),
    schemas,
    topics,
    nodes,
  };
  return { draft, escaped: b.escaped };
}
