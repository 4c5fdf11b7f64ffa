/**
 * The step functions of a stage, built once per stage instance from its node:
 * decode (topic bytes or file lines → values), the node's processors, and
 * encode (values → the output topic's bytes). Each is a plain function over an
 * envelope; StepStream adds the stream, the fan-out accounting and the
 * dead-letter channel around it.
 */
import { coerceJsonForSchema, type CodecChain, type CodecContext, type LoadedSchema } from '../codecs/index.ts';
import { ErrorCodes, SluiceError, isSluiceError, type Headers, type Logger, type SluiceRecord } from '../core/index.ts';
import {
  chainSteps,
  compileBranch,
  compileFieldPath,
  compileProcessor,
  loadProcessorModule,
  wrapProcessor,
  type BuiltinStep,
  type TableJoinSpec,
  type CompiledStep,
  type UserStep,
} from '../processors/index.ts';
import { tablesOf, type Encoding, type Topology, type TopologyNode } from '../topology/index.ts';
import { derive, type Envelope } from './envelope.ts';
import type { TopologyResources } from './resources.ts';
import type { StepFn } from './step.ts';
import { tableAbsorbFn, tableJoinFn } from './steps/table-join.ts';

export interface NamedStep {
  name: string;
  fn: StepFn;
  code: (typeof ErrorCodes)[keyof typeof ErrorCodes];
}

/** Event time from a field: epoch milliseconds, an ISO-8601 string or a Date. */
function timestampFrom(field: string | undefined): ((value: unknown) => number | undefined) | undefined {
  if (field === undefined) return undefined;
  const get = compileFieldPath(field);
  return (value) => {
    const t = get(value);
    if (typeof t === 'number' && Number.isFinite(t)) return t;
    if (t instanceof Date) return t.getTime();
    if (typeof t === 'string') {
      const ms = Date.parse(t);
      if (!Number.isNaN(ms)) return ms;
    }
    throw new SluiceError(ErrorCodes.RECORD_INVALID, `timestamp field \`${field}\` is ${JSON.stringify(t)}, not epoch milliseconds or an ISO-8601 time`);
  };
}

function withTimestamp(fn: (env: Envelope) => Envelope | Envelope[] | Promise<Envelope | Envelope[]>, field: string | undefined): StepFn {
  const eventTime = timestampFrom(field);
  if (eventTime === undefined) return fn;
  const stamp = (out: Envelope | Envelope[]): Envelope | Envelope[] => {
    const list = Array.isArray(out) ? out : [out];
    for (const e of list) e.record.timestamp = eventTime(e.record.value) ?? e.record.timestamp;
    return out;
  };
  return (env) => {
    const out = fn(env);
    return out instanceof Promise ? out.then(stamp) : stamp(out);
  };
}

/**
 * A topic's name is the additional authenticated data of its values: an
 * aes-gcm message moved to another topic fails authentication. (Chains
 * without aes-gcm ignore it; files carry no topic, so file sinks and sources
 * bind the key id only.)
 */
function topicAad(topic: string): Buffer {
  return Buffer.from(topic, 'utf8');
}

/** Topic bytes → values with the topic's chain (and the node's reader schema, if it has one). */
export function topicDecodeStep(node: TopologyNode, topics: readonly string[], resources: TopologyResources): NamedStep {
  const decoders = new Map<string, { chain: CodecChain; aad: Buffer }>();
  // A node's reader schema is for its `from` topics: a join's other side is read with its topic's own.
  for (const topic of topics) decoders.set(topic, { chain: resources.topicChain(topic, topic === node.join?.stream ? undefined : node.schema), aad: topicAad(topic) });
  const decode = (env: Envelope): Envelope | Promise<Envelope> => {
    const r = env.record;
    if (r.value !== null) {
      const d = decoders.get(r.topic!)!;
      const value = d.chain.decodeFetching(r.value as Buffer, { headers: r.headers, aad: d.aad });
      // A promise only for a schema id the registry must first be asked for.
      if (value instanceof Promise) {
        return value.then((v) => {
          r.value = v;
          return env;
        });
      }
      r.value = value;
    }
    return env;
  };
  const timestamp = node.input.kind === 'topics' ? undefined : node.input.timestamp;
  return { name: 'decode', fn: withTimestamp(decode, timestamp), code: ErrorCodes.DESERIALIZE };
}

/** Table records → the task's table stores, before anything decodes them (steps/table-join.ts). */
export function tableAbsorbStep(node: TopologyNode): NamedStep | undefined {
  const tables = tablesOf(node);
  return tables.length === 0 ? undefined : { name: 'table', fn: tableAbsorbFn(new Set(tables)), code: ErrorCodes.RECORD_INVALID };
}

/** A table's stored bytes → its value, with the table topic's chain: what a join adds and a query answers. */
export function tableDecoder(table: string, resources: TopologyResources): (bytes: Buffer) => unknown {
  const chain = resources.topicChain(table);
  const ctx = { headers: {}, aad: topicAad(table) };
  return (bytes) => chain.decode(bytes, ctx);
}

function tableJoinStep(spec: TableJoinSpec, resources: TopologyResources): NamedStep {
  return { name: `join ${spec.table}`, fn: tableJoinFn(spec, tableDecoder(spec.table, resources)), code: ErrorCodes.PROCESSOR };
}

/** File or stdin lines → values: JSON documents, raw text, or one encoded batch per line. */
export function lineDecodeStep(encoding: Encoding, timestamp: string | undefined, resources: TopologyResources): NamedStep {
  const schema = resources.schema(encoding.schema);
  let decode: (env: Envelope) => Envelope | Envelope[] | Promise<Envelope[]>;
  if (encoding.codec !== undefined) {
    const chain = resources.chain(encoding.codec, encoding.schema);
    const split = (env: Envelope, values: unknown[]) => values.map((v) => derive(env, { ...env.record, value: v }));
    decode = (env) => {
      const values = chain.decodeBatchFetching(Buffer.from(env.record.value as string, 'latin1'));
      // A promise only for a schema id the registry must first be asked for.
      return values instanceof Promise ? values.then((v) => split(env, v)) : split(env, values);
    };
  } else if (encoding.format === 'lines') {
    decode = (env) => env;
  } else {
    decode = (env) => {
      let value: unknown;
      try {
        value = JSON.parse(env.record.value as string);
      } catch (err) {
        throw new SluiceError(ErrorCodes.RECORD_INVALID, `not a JSON document: ${(err as Error).message}`, { cause: err });
      }
      env.record.value = schema !== undefined ? coerceJsonForSchema(schema.type, value, { allowUnknownFields: true }) : value;
      return env;
    };
  }
  return { name: 'decode', fn: withTimestamp(decode, timestamp), code: ErrorCodes.DESERIALIZE };
}

function asStepFn(fn: CompiledStep | UserStep): StepFn {
  const wrap = (env: Envelope, out: SluiceRecord[]): Envelope | Envelope[] =>
    out.length === 1 && out[0] === env.record ? env : out.map((r) => derive(env, r));
  return (env) => {
    const out = fn(env.record);
    return out instanceof Promise ? out.then((records) => wrap(env, records)) : wrap(env, out);
  };
}

/** The node's processors: runs of built-ins fused into one step, each user module a step of its own. */
export async function processorSteps(topology: Topology, node: TopologyNode, logger: Logger, resources: TopologyResources): Promise<NamedStep[]> {
  const steps: NamedStep[] = [];
  let builtins: BuiltinStep[] = [];
  const flush = () => {
    if (builtins.length === 0) return;
    const name = builtins.map((b) => b.kind).join('+');
    steps.push({ name, fn: asStepFn(chainSteps(builtins.map(compileProcessor))), code: ErrorCodes.PROCESSOR });
    builtins = [];
  };
  for (const step of node.process) {
    if (step.kind === 'join') {
      flush();
      steps.push(tableJoinStep(step.join, resources));
      continue;
    }
    if (step.kind !== 'module') {
      builtins.push(step);
      continue;
    }
    flush();
    const fn = await loadProcessorModule(step.module, step.export, topology.root);
    steps.push({ name: `${step.module}#${step.export}`, fn: asStepFn(wrapProcessor(fn, node.id, logger)), code: ErrorCodes.PROCESSOR });
  }
  flush();
  return steps;
}

/**
 * Encodes a value with an Avro chain; values that came from JSON (ISO dates,
 * decimal numbers) are coerced to the schema first, only when the plain encode
 * refuses them, so the common path pays nothing.
 */
function encodeWith(chain: CodecChain, schema: LoadedSchema | undefined, ctx: CodecContext): (value: unknown) => Buffer {
  if (schema === undefined) return (value) => chain.encode(value, ctx);
  return (value) => {
    try {
      return chain.encode(value, ctx);
    } catch (err) {
      if (!isSluiceError(err)) throw err;
      return chain.encode(coerceJsonForSchema(schema.type, value, { allowUnknownFields: true }), ctx);
    }
  };
}

/**
 * A record's headers with the output chain's added. Most records carry no
 * headers but their input's codec headers, which the output's replace: those
 * get the encoder's one frozen object instead of a new merge per record.
 */
function withCodecHeaders(headers: Headers, codec: Readonly<Record<string, Buffer>>): Headers {
  for (const name in headers) if (!Object.hasOwn(codec, name)) return { ...headers, ...codec };
  return codec as Headers;
}

export interface TopicEncoder {
  encode: (value: unknown) => Buffer;
  /** A promise to await before `encode` while the writer's schema id is still to come from the registry. */
  prepare: () => Promise<void> | undefined;
  /** The chain's headers as bytes made once: otherwise the producer encodes the same strings for every record. */
  headers: Readonly<Record<string, Buffer>>;
}

/** Values → `topic`'s bytes, with its chain or the `codec` a node writes it with; JSON is coerced to an Avro schema's types. */
export function topicEncoder(resources: TopologyResources, topic: string, codec?: string): TopicEncoder {
  const spec = resources.topology.topics[topic]!;
  const chain = resources.chain(codec ?? spec.codec, spec.schema, undefined, topic);
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(chain.headers())) headers[name] = Buffer.from(value);
  return {
    encode: encodeWith(chain, resources.schema(spec.schema), { aad: topicAad(topic) }),
    prepare: () => chain.prepareEncode(),
    headers: Object.freeze(headers),
  };
}

/** Values → the destination topic's bytes and codec headers; the topic is chosen per record for a branch. */
export function topicEncodeStep(node: TopologyNode, resources: TopologyResources): NamedStep {
  const out = node.output;
  const encoders = new Map<string, TopicEncoder>();
  const encoderFor = (topic: string): TopicEncoder => {
    let e = encoders.get(topic);
    if (e === undefined) encoders.set(topic, (e = topicEncoder(resources, topic, node.codec)));
    return e;
  };
  const route: (value: unknown) => string | undefined =
    out.kind === 'branch' ? compileBranch(out.routes) : out.kind === 'topic' ? () => out.topic : () => undefined;
  const encode = (env: Envelope, topic: string, encoder: TopicEncoder): Envelope => {
    const r = env.record;
    r.value = r.value === null ? null : encoder.encode(r.value);
    r.headers = withCodecHeaders(r.headers, encoder.headers);
    r.topic = topic;
    return env;
  };
  return {
    name: 'encode',
    code: ErrorCodes.SERIALIZE,
    fn: (env) => {
      const topic = route(env.record.value);
      if (topic === undefined) return null;
      const encoder = encoderFor(topic);
      const wait = encoder.prepare();
      return wait === undefined ? encode(env, topic, encoder) : wait.then(() => encode(env, topic, encoder));
    },
  };
}

/**
 * For file sinks with an Avro codec: makes each value encodable on its own, so one bad value is
 * dead-lettered, not the batch. With avro-confluent and a registry it first waits for the writer's id,
 * which the sink's synchronous batch encode needs (resources give the sink the same chain).
 */
export function fileValidateStep(encoding: Encoding, resources: TopologyResources): NamedStep | undefined {
  const schema = resources.schema(encoding.schema);
  if (encoding.codec === undefined || schema === undefined) return undefined;
  const chain = resources.chain(encoding.codec, encoding.schema);
  const validate = (env: Envelope): Envelope => {
    if (!schema.type.isValid(env.record.value)) {
      env.record.value = coerceJsonForSchema(schema.type, env.record.value, { allowUnknownFields: true });
    }
    return env;
  };
  return {
    name: 'validate',
    code: ErrorCodes.SERIALIZE,
    fn: (env) => {
      const wait = chain.prepareEncode();
      return wait === undefined ? validate(env) : wait.then(() => validate(env));
    },
  };
}
