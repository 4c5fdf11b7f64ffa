/**
 * The topology file format, defined once. The same zod schemas parse and
 * check files, word the error messages (through their descriptions) and
 * generate the published JSON Schema (schema/topology.schema.json).
 */
import { z } from 'zod';
import { codecNames, parseCodecChain } from '../codecs/index.ts';
import { isSluiceError } from '../core/index.ts';
import {
  BranchSchema,
  DurationSchema,
  FieldPathSchema,
  RateSchema,
  StepSchema,
  WindowConfigSchema,
  choiceRegistry,
} from '../processors/index.ts';

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

const SchemaNameSchema = NameSchema.meta({ description: 'A schema named under `schemas:`.' });
const PathSchema = z.string().min(1).meta({ description: 'A path relative to the topology file; it must stay inside its folder.' });

const KafkaSchema = z
  .strictObject({
    brokers: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .meta({ description: '`host:port` list, as an array or comma-separated (e.g. `${KAFKA_BROKERS:-127.0.0.1:9092}`).' }),
    'client-id': z.string().min(1).optional(),
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

const HttpSchema = z.strictObject({
  port: z.int().min(1).max(65_535),
  path: z.string().regex(/^\/[^\s]*$/, 'an HTTP path starts with `/`').optional(),
  host: z.string().min(1).optional(),
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
  })
  .register(choiceRegistry, { noun: 'sink kind or option' })
  .superRefine(exactlyOneKind(sinkKinds, 'sink'))
  .superRefine(encodingRules)
  .meta({ id: 'Sink', description: 'Where a node writes when it does not write a topic.' });

const TriggerSchema = z
  .union([
    z.literal('always'),
    z.strictObject({
      cron: z
        .string()
        .regex(/^\S+(\s+\S+){4,5}$/, 'a cron expression has 5 fields (minute hour day month weekday), or 6 with seconds first'),
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
  .meta({ description: 'Retries of transient failures: a count, or `{ attempts, backoff, max-backoff }`.' });

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
    to: TopicNameSchema.optional().meta({ description: 'The topic this node writes.' }),
    branch: BranchSchema.optional(),
    sink: SinkSchema.optional(),
    'dead-letter': TopicNameSchema.optional().meta({ description: 'Records that fail go to this topic, with the error in their headers.' }),
    instances: z.int().min(1).max(1_024).optional().meta({ description: 'How many copies run (a consumer group shares the partitions).' }),
    guarantee: z.enum(guarantees).optional(),
    trigger: TriggerSchema.optional(),
    codec: CodecChainSchema.optional().meta({ description: 'Codec chain for this node’s output, overriding the topic’s.' }),
    retries: RetriesSchema.optional(),
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
