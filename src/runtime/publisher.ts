/**
 * The publisher: values in, one Kafka message each out. A value is checked
 * against the schema (JSON as people write it is coerced to Avro's logical
 * types), encoded by the codec chain, keyed, and stamped with the chain's
 * headers (chain spec, schema name and fingerprint) so any consumer can decode
 * it without guessing. Sends go through the transport's producer: idempotent,
 * acks=-1, batched, LZ4 record batches on Kafka by default.
 */
import { ErrorCodes, SluiceError, silentLogger, type Logger } from '../core/index.ts';
import { SchemaRegistryClient, type RegistryAuth } from './registry/client.ts';
import { RegistrySchemas, subjectName, type SubjectStrategy } from './registry/schemas.ts';
import {
  coerceJsonForSchema,
  createCodecChain,
  loadSchemaFile,
  type CodecChain,
  type KeyRing,
  type LoadedSchema,
} from '../codecs/index.ts';
import {
  createSinkStream,
  createTransport,
  type KafkaClient,
  type KafkaSecurity,
  type OutgoingRecord,
  type Producer,
  type ProducerOptions,
  type SinkStream,
  type Transport,
} from '../transport/index.ts';

export type KeyOf = (value: unknown) => Buffer | string | null;

/** Fields the schema does not declare fail the check, as they fail coercion. */
const STRICT = { noUndeclaredFields: true };

export interface PublisherRegistry {
  url: string;
  subject?: SubjectStrategy;
  /** Default true; false only looks the schema up. */
  autoRegister?: boolean;
  auth?: RegistryAuth;
}

export interface PublisherOptions {
  topic: string;
  /** Kafka bootstrap brokers; none means the embedded broker of this process. */
  brokers?: string[];
  /** Kafka TLS and SASL. */
  security?: KafkaSecurity;
  client?: KafkaClient;
  /** Use this transport instead of making one (it is left open on close). */
  transport?: Transport;
  /** Codec chain spec (`avro`, `avro|lz4`, `json|aes-gcm|base64`...). Default `avro` with a schema, else `json`. */
  codec?: string;
  /** Avro schema: a file path or one already loaded. */
  schema?: string | LoadedSchema;
  /** The key: a field path into the value (`id`, `user.id`) or a function. Default: no key. */
  key?: string | KeyOf;
  /** Headers added to every message, besides the codec chain's own. */
  headers?: Record<string, string>;
  /** Keys for an `aes-gcm` step. */
  keys?: KeyRing;
  /** Where `avro-confluent` registers (or looks up) the schema's id, once, before the first record. */
  schemaRegistry?: PublisherRegistry;
  producer?: ProducerOptions;
  /** Create the topic with this many partitions if it does not exist. */
  partitions?: number;
  clientId?: string;
  logger?: Logger;
}

export interface PublishSummary {
  /** Records the broker acknowledged over the publisher's life. */
  acknowledged: number;
}

/** A key field path → a function reading it; a string key is sent as its UTF-8 bytes. */
export function keyFromPath(path: string): KeyOf {
  const steps = path.split('.');
  return (value) => {
    let at: unknown = value;
    for (const step of steps) {
      if (at === null || typeof at !== 'object') {
        at = undefined;
        break;
      }
      at = (at as Record<string, unknown>)[step];
    }
    if (typeof at === 'string' || Buffer.isBuffer(at)) return at;
    if (typeof at === 'number' || typeof at === 'bigint' || typeof at === 'boolean') return String(at);
    throw new SluiceError(ErrorCodes.RECORD_INVALID, `key field "${path}" is ${at === undefined ? 'missing' : `not a scalar (${typeof at})`}`, {
      context: { path },
    });
  };
}

export class Publisher {
  readonly topic: string;
  readonly chain: CodecChain;
  readonly schema: LoadedSchema | undefined;
  readonly #producer: Producer;
  readonly #transport: Transport;
  readonly #ownsTransport: boolean;
  readonly #key: KeyOf | undefined;
  readonly #headers: Readonly<Record<string, Buffer>>;
  readonly #aad: Buffer;
  #closed: Promise<PublishSummary> | undefined;

  private constructor(
    options: PublisherOptions,
    chain: CodecChain,
    schema: LoadedSchema | undefined,
    transport: Transport,
    producer: Producer,
  ) {
    this.topic = options.topic;
    this.#aad = Buffer.from(options.topic, 'utf8');
    this.chain = chain;
    this.schema = schema;
    this.#transport = transport;
    this.#ownsTransport = options.transport === undefined;
    this.#producer = producer;
    this.#key = typeof options.key === 'string' ? keyFromPath(options.key) : options.key;
    // One frozen object of ready bytes shared by every message: no per-record header work.
    const headers: Record<string, Buffer> = {};
    for (const [name, value] of Object.entries({ ...options.headers, ...chain.headers() })) headers[name] = Buffer.from(value);
    this.#headers = Object.freeze(headers);
  }

  static async open(options: PublisherOptions): Promise<Publisher> {
    const schema = typeof options.schema === 'string' ? await loadSchemaFile(options.schema) : options.schema;
    const r = options.schemaRegistry;
    const schemas =
      r === undefined || schema === undefined
        ? undefined
        : new RegistrySchemas(new SchemaRegistryClient({ url: r.url, ...(r.auth === undefined ? {} : { auth: r.auth }) }), r.autoRegister ?? true).forSubject(
            subjectName(r.subject ?? 'topic', options.topic, schema),
          );
    const chain = createCodecChain(options.codec ?? (schema === undefined ? 'json' : 'avro'), {
      ...(schema === undefined ? {} : { schema }),
      ...(schemas === undefined ? {} : { schemas }),
      ...(options.keys === undefined ? {} : { keys: options.keys }),
    });
    // Registered before the first record, so encoding stays synchronous.
    await chain.prepareEncode();
    const transport =
      options.transport ??
      createTransport({
        ...(options.brokers === undefined ? {} : { brokers: options.brokers }),
        ...(options.security === undefined ? {} : { security: options.security }),
        ...(options.client === undefined ? {} : { client: options.client }),
        clientId: options.clientId ?? 'sluice-publish',
        logger: options.logger ?? silentLogger,
      });
    try {
      if (options.partitions !== undefined) {
        await transport.createTopics([{ name: options.topic, partitions: options.partitions }]);
      }
      const producer = await transport.producer(options.producer);
      return new Publisher(options, chain, schema, transport, producer);
    } catch (err) {
      if (options.transport === undefined) await transport.close();
      throw err;
    }
  }

  /** Records the broker has acknowledged so far. */
  get acknowledged(): number {
    return this.#producer.acknowledged;
  }

  /**
   * The message for one value: checked, encoded, keyed. Throws a SluiceError
   * (RECORD_INVALID for what does not fit the schema or has no key, SERIALIZE
   * for what the codec chain refuses); nothing is sent.
   */
  toRecord(value: unknown): OutgoingRecord {
    // Most input already fits as it is; checking that costs a fortieth of coercing it.
    const fitted =
      this.schema === undefined || this.schema.type.isValid(value, STRICT)
        ? value
        : coerceJsonForSchema(this.schema.type, value);
    return {
      topic: this.topic,
      key: this.#key === undefined ? null : this.#key(value),
      // The topic is aes-gcm's additional data, as stages decode it (see stage-steps.ts).
      value: this.chain.encode(fitted, { aad: this.#aad }),
      headers: this.#headers,
    };
  }

  /** Checks and encodes every value first (one bad value sends none), then resolves once all are acknowledged. */
  async publish(values: readonly unknown[]): Promise<void> {
    const records = new Array<OutgoingRecord>(values.length);
    for (let i = 0; i < values.length; i++) {
      try {
        records[i] = this.toRecord(values[i]);
      } catch (err) {
        throw err instanceof SluiceError ? err.withContext({ index: i, topic: this.topic }) : err;
      }
    }
    await this.#producer.send(records);
  }

  /** Sends records made by `toRecord`; resolves once acknowledged. */
  send(records: readonly OutgoingRecord[]): Promise<void> {
    return this.#producer.send(records);
  }

  /** A Writable of records made by `toRecord`; each write calls back once acknowledged. */
  sink(options: { maxInFlight?: number } = {}): SinkStream<OutgoingRecord> {
    return createSinkStream<OutgoingRecord>(this.#producer, this.topic, options);
  }

  /** A Writable of values: each write calls back once acknowledged; a value that does not fit fails the stream. */
  stream(options: { maxInFlight?: number } = {}): SinkStream<unknown> {
    return createSinkStream<unknown>(this.#producer, this.topic, { ...options, prepare: (value) => this.toRecord(value) });
  }

  /** Flushes what is pending, closes the producer (and the transport it made), and says how many records were acknowledged. */
  close(): Promise<PublishSummary> {
    this.#closed ??= (async () => {
      try {
        await this.#producer.close();
      } finally {
        if (this.#ownsTransport) await this.#transport.close();
      }
      return { acknowledged: this.#producer.acknowledged };
    })();
    return this.#closed;
  }
}

export function createPublisher(options: PublisherOptions): Promise<Publisher> {
  return Publisher.open(options);
}
