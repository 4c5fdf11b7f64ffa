/**
 * The topology file format, defined once. The same zod schemas parse and
 * check files, word the error messages (through their descriptions) and
 * generate the published JSON Schema (schema/topology.schema.json).
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { codecNames, parseCodecChain } from '../codecs/index.ts';
import { isHostEntry, isOrigin, isSluiceError } from '../core/index.ts';
import {
  BranchSchema,
  DurationSchema,
  FieldPathSchema,
  PositiveDurationSchema,
  RateSchema,
  StepSchema,
  StreamJoinNodeSchema,
  WindowConfigSchema,
  choiceRegistry,
} from '../processors/index.ts';
import { kafkaClients } from '../transport/clients.ts';
import { cronProblem } from './cron.ts';

const NameSchema = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,127}$/, 'a name starts with a letter and has letters, digits, `_` and `-`');

/** Kafka's own rule for topic names. */
export const TopicNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,249}$/, 'a topic name is 1 to 249 of letters, digits, `.`, `_` and `-`')
  .refine((t) => t !== '.' && t !== '..', 'a topic cannot be named `.` or `..`')
  .meta({ description: 'A Kafka topic name.' });

export const CodecChainSchema = z
  .string()
  .superRefine((spec, ctx) => {
    try {
      parseCodecChain(spec);
    } catch (err) {
      if (!isSluiceError(err)) throw err;
      ctx.addIssue({ code: 'custom', message: err.message, params: { code: err.code } });
    }
  })
  .meta({ description: `A codec chain, steps joined by \`|\`: ${codecNames.join(', ')} (e.g. \`avro|lz4|aes-gcm|base64\`).` });

// No zstd: the codec kafkajs documents for it (@kafkajs/zstd) does not build on Node.js 20.
const compressions = ['none', 'gzip', 'lz4', 'snappy'] as const;
const guarantees = ['at-least-once', 'exactly-once'] as const;
export const fileFormats = ['ndjson', 'avro', 'lines'] as const;
export type FileFormat = (typeof fileFormats)[number];
export const sinkModes = ['append', 'overwrite'] as const;
export type SinkMode = (typeof sinkModes)[number];

const SchemaNameSchema = NameSchema.meta({ description: 'A schema named under `schemas:`.' });
const PathSchema = z.string().min(1).meta({ description: 'A path relative to the topology file; it must stay inside its folder.' });

const KafkaSchema = z
  .strictObject({
    brokers: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      // `${KAFKA_BROKERS:-}` or " , " must not quietly mean the embedded transport.
      .refine((b) => (typeof b === 'string' ? b.split(',') : b).some((x) => x.trim() !== ''), 'the broker list names no broker; give host:port[,host:port]')
      .meta({ description: '`host:port` list, as an array or comma-separated (e.g. `${KAFKA_BROKERS:-127.0.0.1:9092}`).' }),
    'client-id': z.string().min(1).optional(),
    client: z.enum(kafkaClients).optional().meta({ description: 'The Kafka client library the stages use (SLUICE_KAFKA_CLIENT and --kafka-client override it).' }),
    ssl: z.boolean().optional(),
    sasl: z
      .strictObject({
        mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
        username: z.string().min(1),
        password: z
          .string()
          .min(1)
          .optional()
          .meta({ description: 'Use `${ENV_VAR}`, or leave it out and set SLUICE_KAFKA_SASL_PASSWORD(_FILE): secrets do not belong in the file.' }),
      })
      .optional(),
  })
  .meta({ description: 'Kafka connection. Without it, `sluice run` uses the embedded in-process transport.' });

const SchemaRegistrySchema = z
  .strictObject({
    url: z
      .string()
      .regex(/^https?:\/\/[^\s/]+/, 'an http:// or https:// URL')
      .optional()
      .meta({ description: 'A Confluent-compatible schema registry (Confluent, Apicurio `…/apis/ccompat/v7`, Karapace, Redpanda), e.g. `${SCHEMA_REGISTRY_URL}`. `--schema-registry` overrides it.' }),
    dir: PathSchema.optional().meta({ description: 'Offline instead of `url`: a directory of `<id>-<name>.avsc` files, the ids of `avro-confluent` records.' }),
    subject: z
      .enum(['topic', 'record', 'topic-record'])
      .optional()
      .meta({ description: 'Subject naming: `topic` (`<topic>-value`, the default), `record` (the record’s full name), `topic-record` (`<topic>-<full name>`).' }),
    'auto-register': z.boolean().optional().meta({ description: 'Writers register their schema (default true); false only looks it up and fails when it is not registered.' }),
    auth: z
      .union([
        z.strictObject({ username: z.string().min(1), password: z.string().min(1).meta({ description: 'Use `${ENV_VAR}`.' }) }),
        z.strictObject({ token: z.string().min(1).meta({ description: 'A bearer token; use `${ENV_VAR}`.' }) }),
      ])
      .optional()
      .meta({ description: 'HTTP basic (`username`, `password`) or bearer (`token`) authentication.' }),
  })
  .refine((r) => (r.url === undefined) !== (r.dir === undefined), 'give one of `url` (a schema registry) or `dir` (a local schema directory)')
  .meta({ description: 'Where `avro-confluent` topics find schema ids: a schema registry, or a local directory.' });

const DefaultsSchema = z
  .strictObject({
    codec: CodecChainSchema.optional(),
    compression: z.enum(compressions).optional().meta({ description: 'Kafka record-batch compression for topics.' }),
    partitions: z.int().min(1).max(10_000).optional(),
    replication: z.int().min(1).max(32).optional(),
    guarantee: z.enum(guarantees).optional(),
  })
  .meta({ description: 'Values every topic and node takes unless it says otherwise.' });

const TopicSchema = z
  .strictObject({
    partitions: z.int().min(1).max(10_000).optional(),
    replication: z.int().min(1).max(32).optional(),
    cleanup: z.enum(['delete', 'compact']).optional(),
    retention: z.union([DurationSchema, z.literal('forever')]).optional().meta({ description: 'How long records are kept: a duration or `forever`.' }),
    schema: SchemaNameSchema.optional(),
    codec: CodecChainSchema.optional(),
    compression: z.enum(compressions).optional(),
  })
  .meta({ id: 'Topic', description: 'A Kafka topic: partitions, retention, the schema and codec of its values.' });

/** Options shared by file-like sources and sinks. */
const encodingFields = {
  format: z
    .enum(fileFormats)
    .optional()
    .meta({ description: '`ndjson` (one JSON value a line), `avro` (Avro object container), or `lines` (text lines, or encoded records with `codec`). Default from the extension.' }),
  codec: CodecChainSchema.optional().meta({ description: 'Codec chain for `lines`: each line is one encoded record (end the chain with `base64`).' }),
  schema: SchemaNameSchema.optional(),
};

const GeneratorSchema = z.strictObject({
  schema: SchemaNameSchema.meta({ description: 'Generate random records of this schema.' }),
  rate: RateSchema.optional(),
  count: z.int().min(1).optional().meta({ description: 'Stop after this many records (default: never).' }),
  seed: z.int().optional().meta({ description: 'Random seed, for the same records every run.' }),
});

/**
 * What a server may listen on: an IP address (node:net's own test), or an RFC 1123 host
 * name whose last label is not all digits, so `999.1.1.1` is not taken for a name.
 */
function isHostOrAddress(host: string): boolean {
  if (isIP(host) !== 0) return true;
  return z.regexes.hostname.test(host) && !/(^|\.)\d+\.?$/.test(host);
}

const HttpSchema = z.strictObject({
  port: z.int().min(1).max(65_535),
  path: z.string().regex(/^\/[^\s]*$/, 'an HTTP path starts with `/`').optional(),
  host: z
    .string()
    .min(1)
    .refine(isHostOrAddress, 'a host is a host name (RFC 1123) or an IPv4 or IPv6 address (without brackets)')
    .optional()
    .meta({ description: 'The host name or IP address to listen on (default 127.0.0.1). Off loopback it needs `token`, or `insecure-no-token: true`.' }),
  token: z
    .string()
    .min(1)
    .optional()
    .meta({ description: 'Clients send it as `Authorization: Bearer <token>`. Use `${ENV_VAR}`: secrets do not belong in the file.' }),
  'allow-hosts': z
    .array(z.string().refine(isHostEntry, 'a host is `name`, `name:port` or `[v6]:port`'))
    .optional()
    .meta({ description: 'Host header names served besides localhost, 127.0.0.1, [::1] and the address listened on (`name` for any port, `name:port`).' }),
  'allow-origins': z
    .array(z.string().refine(isOrigin, 'an origin is `http://host[:port]` or `https://host[:port]`'))
    .optional()
    .meta({ description: 'Origins whose web pages may POST here (CORS), besides the endpoint’s own.' }),
  'insecure-no-token': z.boolean().optional().meta({ description: 'Listen off loopback without a token: anyone who reaches the port can inject records.' }),
  'max-body-bytes': z.int().min(1).max(2 ** 30).optional().meta({ description: 'Largest request body (default 10 MiB); larger ones get 413.' }),
  'max-in-flight-bytes': z
    .int()
    .min(1)
    .max(2 ** 32)
    .optional()
    .meta({ description: 'Body bytes held at once across requests, until their records are acknowledged (default 32 MiB); requests wait for room.' }),
  'request-timeout': PositiveDurationSchema.optional().meta({ description: 'Time a client has to send a request, headers and body (default 60s).' }),
});

export const sourceKinds = ['file', 'stdin', 'generator', 'http'] as const;
export const sinkKinds = ['file', 'stdout'] as const;

function exactlyOneKind(kinds: readonly string[], noun: string) {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    const given = kinds.filter((k) => value[k] !== undefined);
    if (given.length === 1) return;
    ctx.addIssue({
      code: 'custom',
      message:
        given.length === 0
          ? `a ${noun} needs its kind: one of ${kinds.map((k) => `\`${k}\``).join(', ')}`
          : `a ${noun} has one kind, not ${given.map((k) => `\`${k}\``).join(' and ')}`,
    });
  };
}

function encodingRules(value: { format?: FileFormat | undefined; codec?: string | undefined; file?: string | undefined }, ctx: z.RefinementCtx): void {
  if (value.codec !== undefined && value.format !== undefined && value.format !== 'lines') {
    ctx.addIssue({ code: 'custom', path: ['codec'], message: `\`codec\` applies to \`format: lines\`, not \`${value.format}\`` });
  }
  if (value.format === 'avro' && value.file === undefined) {
    ctx.addIssue({ code: 'custom', path: ['format'], message: '`format: avro` (an object container file) needs `file`' });
  }
}

const SourceSchema = z
  .strictObject({
    file: PathSchema.optional().meta({ description: 'Read a file (`.ndjson`, `.jsonl`, `.avro`, or any with `format`).' }),
    stdin: z.literal(true).optional().meta({ description: 'Read standard input.' }),
    generator: GeneratorSchema.optional(),
    http: HttpSchema.optional().meta({ description: 'Accept records POSTed as JSON or NDJSON.' }),
    ...encodingFields,
    timestamp: FieldPathSchema.optional().meta({ description: 'Take event time from this field (epoch ms or ISO-8601) instead of the read time.' }),
  })
  .register(choiceRegistry, { noun: 'source kind or option' })
  .superRefine(exactlyOneKind(sourceKinds, 'source'))
  .superRefine(encodingRules)
  .meta({ id: 'Source', description: 'Where a node reads when it does not read a topic.' });

const SinkSchema = z
  .strictObject({
    file: PathSchema.optional().meta({ description: 'Write a file (`.ndjson`, `.jsonl`, `.avro`, or any with `format`).' }),
    stdout: z.literal(true).optional().meta({ description: 'Write standard output.' }),
    ...encodingFields,
    mode: z
      .enum(sinkModes)
      .optional()
      .meta({
        description:
          '`append` (default): add to what the file holds, never losing acknowledged output across restarts and runs. `overwrite`: empty the file when `sluice run` starts, so it holds only that run\'s output (for bounded runs that read their input from the start).',
      }),
  })
  .register(choiceRegistry, { noun: 'sink kind or option' })
  .superRefine(exactlyOneKind(sinkKinds, 'sink'))
  .superRefine(encodingRules)
  .superRefine((value, ctx) => {
    if (value.mode !== undefined && value.file === undefined) {
      ctx.addIssue({ code: 'custom', path: ['mode'], message: '`mode` applies to a `file` sink' });
    }
  })
  .meta({ id: 'Sink', description: 'Where a node writes when it does not write a topic.' });

const TriggerSchema = z
  .union([
    z.literal('always'),
    z.strictObject({
      cron: z
        .string()
        .superRefine((pattern, ctx) => {
          const problem = cronProblem(pattern);
          if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `\`${pattern}\` is not a cron schedule: ${problem}` });
        })
        .meta({ description: 'A cron schedule (croner): 5 fields (minute hour day month weekday), or 6 with seconds first.' }),
    }),
  ])
  .meta({ description: '`always` (run continuously) or `{ cron: "*/5 * * * *" }` (run on a schedule until input ends).' });

const RetriesSchema = z
  .union([
    z.int().min(0).max(100),
    z.strictObject({
      attempts: z.int().min(0).max(100).optional(),
      backoff: DurationSchema.optional(),
      'max-backoff': DurationSchema.optional(),
    }),
  ])
  .meta({
    description:
      'Retries of retriable failures (a processor throwing `retriable(err)`, a topic sink write the broker refused for now) before the record is dead-lettered or the stage fails: a count of retries after the first try, or `{ attempts, backoff, max-backoff }`.',
  });

/** A stream join pairs the partitions of topics: its left side must be topics too, and a window belongs in the next node. */
function joinRules(n: { from?: string | string[] | undefined; window?: unknown; join?: { stream: string } | undefined }, ctx: z.RefinementCtx): void {
  const from = n.from === undefined ? [] : typeof n.from === 'string' ? [n.from] : n.from;
  if (n.from === undefined) ctx.addIssue({ code: 'custom', path: ['join'], message: 'a stream join needs `from: TOPIC`: both sides are topics, joined partition by partition' });
  if (n.join !== undefined && from.includes(n.join.stream)) {
    ctx.addIssue({ code: 'custom', path: ['join', 'stream'], message: `\`${n.join.stream}\` is already read by \`from\`: a stream join needs another topic on its right side` });
  }
  if (n.window !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['window'], message: 'a node joins or windows, not both: window the join’s output in the node that reads its topic' });
  }
}

export const NodeSchema = z
  .strictObject({
    description: z.string().optional(),
    from: z
      .union([TopicNameSchema, z.array(TopicNameSchema).min(1)])
      .optional()
      .meta({ description: 'The topic (or topics) this node reads.' }),
    source: SourceSchema.optional(),
    schema: SchemaNameSchema.optional().meta({ description: 'The schema this node reads its input topic with (default: the topic’s).' }),
    process: z.array(StepSchema).optional().meta({ description: 'Steps applied to each record in order.' }),
    window: WindowConfigSchema.optional(),
    join: StreamJoinNodeSchema.optional(),
    to: TopicNameSchema.optional().meta({ description: 'The topic this node writes.' }),
    branch: BranchSchema.optional(),
    sink: SinkSchema.optional(),
    'dead-letter': TopicNameSchema.optional().meta({ description: 'Records that fail go to this topic, with the error in their headers.' }),
    instances: z.int().min(1).max(1_024).optional().meta({ description: 'How many copies run (a consumer group shares the partitions).' }),
    guarantee: z.enum(guarantees).optional(),
    trigger: TriggerSchema.optional(),
    codec: CodecChainSchema.optional().meta({ description: 'Codec chain for this node’s output, overriding the topic’s.' }),
    retries: RetriesSchema.optional(),
    'max-task-idle': DurationSchema.optional().meta({
      description:
        'A node reading several topics (a join, a table, `from` a list) reads a task’s partitions in timestamp order: a record waits while a partner partition with nothing fetched has records on the broker, and for this long more once it is caught up, for records still being written (default 0: only for records on the broker). Kafka Streams’ `max.task.idle.ms`.',
    }),
  })
  .superRefine((n, ctx) => {
    if (n.from === undefined && n.source === undefined) {
      ctx.addIssue({ code: 'custom', message: 'the node reads nothing; add `from: TOPIC` or a `source:`' });
    } else if (n.from !== undefined && n.source !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['source'], message: 'a node has one input: `from` or `source`, not both' });
    }
    const outputs = (['to', 'branch', 'sink'] as const).filter((k) => n[k] !== undefined);
    if (outputs.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'the node writes nowhere; add `to: TOPIC`, a `branch:` or a `sink:`' });
    } else if (outputs.length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: [outputs[1] as string],
        message: `a node has one output: ${outputs.map((k) => `\`${k}\``).join(' and ')} were given`,
      });
    }
    if (n.schema !== undefined && n.from === undefined) {
      ctx.addIssue({ code: 'custom', path: ['schema'], message: '`schema` names how a topic input is read; this node has no `from`' });
    }
    if (n.join !== undefined) joinRules(n, ctx);
    if (n['max-task-idle'] !== undefined && n.from === undefined) {
      ctx.addIssue({ code: 'custom', path: ['max-task-idle'], message: '`max-task-idle` paces the topics a node reads; this node has no `from`' });
    }
    // Run even when a field failed, so a node with a wrong type and no output gets both messages.
  }, { when: (payload) => typeof payload.value === 'object' && payload.value !== null })
  .meta({ id: 'Node', description: 'A stage: one input (`from` or `source`), processing, optional window, one output (`to`, `branch` or `sink`).' });

export const TopologyFileSchema = z
  .strictObject({
    $schema: z.string().optional().meta({ description: 'The JSON Schema this file follows, for editors.' }),
    name: NameSchema.meta({ description: 'The topology’s name: prefixes consumer groups and appears in logs and metrics.' }),
    description: z.string().optional(),
    kafka: KafkaSchema.optional(),
    defaults: DefaultsSchema.optional(),
    'schema-registry': SchemaRegistrySchema.optional(),
    schemas: z
      .record(SchemaNameSchema, PathSchema.meta({ description: 'An `.avsc` file, relative to the topology file.' }))
      .optional()
      .meta({ description: 'Avro schemas by name.' }),
    topics: z.record(TopicNameSchema, TopicSchema).optional().meta({ description: 'Topics by name. Topics written but not listed are created with the defaults.' }),
    nodes: z
      .record(NameSchema, NodeSchema)
      .refine((nodes) => Object.keys(nodes).length > 0, 'a topology needs at least one node')
      .meta({ description: 'The stages of the graph, by id.' }),
  })
  .meta({ title: 'sluice topology', description: 'A sluice topology: sources, stages and sinks that meet at Kafka topics.' });

export type TopologyFile = z.output<typeof TopologyFileSchema>;
export type NodeConfig = z.output<typeof NodeSchema>;
export type TopicConfig = z.output<typeof TopicSchema>;
export type SourceConfig = z.output<typeof SourceSchema>;
export type SinkConfig = z.output<typeof SinkSchema>;
