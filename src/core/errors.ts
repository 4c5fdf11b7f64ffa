/**
 * Every error sluice raises is a SluiceError with a stable `code` (branch on it,
 * never on the message), a `retriable` flag (a retry may succeed: broker away,
 * timeout) and the context a user needs to find the cause: file:line:column
 * for configuration, stage/topic/partition/offset for records.
 */

export const ErrorCodes = {
  /** Configuration and input files. */
  CONFIG_INVALID: 'SLUICE_ERR_CONFIG_INVALID',
  TOPOLOGY_PARSE: 'SLUICE_ERR_TOPOLOGY_PARSE',
  TOPOLOGY_INVALID: 'SLUICE_ERR_TOPOLOGY_INVALID',
  TOPOLOGY_UNSAFE: 'SLUICE_ERR_TOPOLOGY_UNSAFE',
  SCHEMA_NOT_FOUND: 'SLUICE_ERR_SCHEMA_NOT_FOUND',
  SCHEMA_INVALID: 'SLUICE_ERR_SCHEMA_INVALID',
  SCHEMA_INCOMPATIBLE: 'SLUICE_ERR_SCHEMA_INCOMPATIBLE',
  /**
   * A schema registry that cannot be reached or answers 5xx after the client's retries (retriable): records
   * that need it are retried and never dead-lettered, since the record is not at fault.
   */
  SCHEMA_REGISTRY_UNAVAILABLE: 'SLUICE_ERR_SCHEMA_REGISTRY_UNAVAILABLE',
  /** A schema registry that refused a request (4xx other than an incompatible schema or an unknown id): auth, bad subject. */
  SCHEMA_REGISTRY_REFUSED: 'SLUICE_ERR_SCHEMA_REGISTRY_REFUSED',
  MODULE_LOAD: 'SLUICE_ERR_MODULE_LOAD',
  /** A file named by the user that is not a regular file (a FIFO, a device, a directory) or is over its size limit. */
  FILE_REFUSED: 'SLUICE_ERR_FILE_REFUSED',
  CLI_USAGE: 'SLUICE_ERR_CLI_USAGE',
  /** Records: each names the codec and where the record came from. */
  RECORD_INVALID: 'SLUICE_ERR_RECORD_INVALID',
  SERIALIZE: 'SLUICE_ERR_SERIALIZE',
  DESERIALIZE: 'SLUICE_ERR_DESERIALIZE',
  COMPRESS: 'SLUICE_ERR_COMPRESS',
  DECOMPRESS: 'SLUICE_ERR_DECOMPRESS',
  DECOMPRESS_LIMIT: 'SLUICE_ERR_DECOMPRESS_LIMIT',
  ENCRYPT: 'SLUICE_ERR_ENCRYPT',
  DECRYPT_AUTH: 'SLUICE_ERR_DECRYPT_AUTH',
  KEY_UNKNOWN: 'SLUICE_ERR_KEY_UNKNOWN',
  KEY_INVALID: 'SLUICE_ERR_KEY_INVALID',
  DECODE_TEXT: 'SLUICE_ERR_DECODE_TEXT',
  CHECKSUM_MISMATCH: 'SLUICE_ERR_CHECKSUM_MISMATCH',
  CODEC_UNKNOWN: 'SLUICE_ERR_CODEC_UNKNOWN',
  PROCESSOR: 'SLUICE_ERR_PROCESSOR',
  /** A record whose event time falls in windows already closed (past their grace). */
  LATE_RECORD: 'SLUICE_ERR_LATE_RECORD',
  /** Transport and runtime. */
  BROKER_UNAVAILABLE: 'SLUICE_ERR_BROKER_UNAVAILABLE',
  /** An address that answers with bytes no Kafka broker sends: not a Kafka listener, or TLS on one side only. Not retriable. */
  BROKER_PROTOCOL: 'SLUICE_ERR_BROKER_PROTOCOL',
  TIMEOUT: 'SLUICE_ERR_TIMEOUT',
  PRODUCE: 'SLUICE_ERR_PRODUCE',
  /**
   * The broker refused a record on its own (too large for the topic, invalid
   * for it): sending it again cannot work. The other records sent with it
   * were written; the refused one goes to the dead-letter topic.
   */
  RECORD_REFUSED: 'SLUICE_ERR_RECORD_REFUSED',
  /** A newer producer with the same transactional id exists: this one is a zombie and must stop. */
  PRODUCER_FENCED: 'SLUICE_ERR_PRODUCER_FENCED',
  /** A transaction was aborted; its records are not visible to read_committed consumers. */
  TRANSACTION_ABORTED: 'SLUICE_ERR_TRANSACTION_ABORTED',
  CONSUME: 'SLUICE_ERR_CONSUME',
  TOPIC_MISMATCH: 'SLUICE_ERR_TOPIC_MISMATCH',
  SHUTDOWN: 'SLUICE_ERR_SHUTDOWN',
  /** Codec chains: a chain whose steps are known but in an impossible order, or a record written with another chain. */
  CODEC_CHAIN_INVALID: 'SLUICE_ERR_CODEC_CHAIN_INVALID',
  CODEC_MISMATCH: 'SLUICE_ERR_CODEC_MISMATCH',
  /** Topology checks, one code per kind of mistake so tools can branch on them. */
  TOPOLOGY_CYCLE: 'SLUICE_ERR_TOPOLOGY_CYCLE',
  TOPOLOGY_TOPIC_UNKNOWN: 'SLUICE_ERR_TOPOLOGY_TOPIC_UNKNOWN',
  TOPOLOGY_UNREACHABLE: 'SLUICE_ERR_TOPOLOGY_UNREACHABLE',
  TOPOLOGY_DUPLICATE: 'SLUICE_ERR_TOPOLOGY_DUPLICATE',
  TOPOLOGY_ENV_UNSET: 'SLUICE_ERR_TOPOLOGY_ENV_UNSET',
  TOPOLOGY_PROCESSOR_UNKNOWN: 'SLUICE_ERR_TOPOLOGY_PROCESSOR_UNKNOWN',
  /** A file sink names a file the topology also reads (an input, schema, module, key file, the topology itself) or another sink writes. */
  TOPOLOGY_PATH_CONFLICT: 'SLUICE_ERR_TOPOLOGY_PATH_CONFLICT',
  /** A join whose sides cannot meet in one task: partition counts differ, the key is not the one joined on, a table topic not compacted. */
  TOPOLOGY_COPARTITION: 'SLUICE_ERR_TOPOLOGY_COPARTITION',
  /**
   * State stores: a store directory another live process (or another open store in this one) holds;
   * a store key that is empty or longer than a store can keep (LMDB's 1,978 bytes); a value its serde
   * cannot serialize (found when the task snapshots its stores).
   */
  STATE_LOCKED: 'SLUICE_ERR_STATE_LOCKED',
  STATE_KEY_INVALID: 'SLUICE_ERR_STATE_KEY_INVALID',
  STATE_VALUE_INVALID: 'SLUICE_ERR_STATE_VALUE_INVALID',
  /** Coordinator: no coordinator answers on the given port; a trigger it refused (node running, not run here). */
  COORDINATOR_UNREACHABLE: 'SLUICE_ERR_COORDINATOR_UNREACHABLE',
  TRIGGER_REFUSED: 'SLUICE_ERR_TRIGGER_REFUSED',
  /**
   * Interactive queries of a node's state store: no such node or store; no aggregates of the key; the key's
   * partition is owned by another member (named); its store is still restoring; no running instance holds it.
   */
  STORE_UNKNOWN: 'SLUICE_ERR_STORE_UNKNOWN',
  KEY_NOT_FOUND: 'SLUICE_ERR_KEY_NOT_FOUND',
  KEY_NOT_OWNED: 'SLUICE_ERR_KEY_NOT_OWNED',
  STORE_RESTORING: 'SLUICE_ERR_STORE_RESTORING',
  STORE_UNAVAILABLE: 'SLUICE_ERR_STORE_UNAVAILABLE',
  /**
   * A setting that gives secrets or trust away without saying so: SASL PLAIN without TLS, TLS without
   * verification (--insecure), an HTTP server off loopback without a token (--insecure-no-token).
   */
  INSECURE_REFUSED: 'SLUICE_ERR_INSECURE',
  /** HTTP requests refused by the request policy both HTTP servers share (src/core/http-policy.ts). */
  HTTP_HOST: 'SLUICE_ERR_HTTP_HOST',
  HTTP_ORIGIN: 'SLUICE_ERR_HTTP_ORIGIN',
  HTTP_UNAUTHORIZED: 'SLUICE_ERR_HTTP_UNAUTHORIZED',
  HTTP_CONTENT_TYPE: 'SLUICE_ERR_HTTP_CONTENT_TYPE',
  HTTP_BODY_LIMIT: 'SLUICE_ERR_HTTP_BODY_LIMIT',
  /** A request body the client aborted, or did not finish sending within the request timeout. */
  HTTP_BODY_INCOMPLETE: 'SLUICE_ERR_HTTP_BODY_INCOMPLETE',
  /** `sluice test`: a test file that cannot be run as written (placed at file:line:col). */
  TEST_INVALID: 'SLUICE_ERR_TEST_INVALID',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** Where an error happened. Every field is optional; fill what is known. */
export interface ErrorContext {
  file?: string;
  line?: number;
  column?: number;
  path?: string;
  topology?: string;
  stage?: string;
  codec?: string;
  topic?: string;
  partition?: number;
  offset?: string;
  /** Index of the record within a batch, when no offset exists yet. */
  index?: number;
  [extra: string]: unknown;
}

export interface SluiceErrorOptions {
  cause?: unknown;
  retriable?: boolean;
  context?: ErrorContext;
}

export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }

  /** "file:line:column" or "topic[partition]@offset" or the stage, whichever is known. */
  get where(): string {
    return describeWhere(this.context);
  }

  /** Returns a copy of this error with more context (e.g. a stream wrapper adding the offset). */
  withContext(more: ErrorContext): this {
    const copy = Object.create(Object.getPrototypeOf(this) as object) as this;
    Object.assign(copy, this, { context: { ...this.context, ...more } });
    Object.defineProperty(copy, 'message', { value: this.message, enumerable: false, writable: true });
    Object.defineProperty(copy, 'stack', { value: this.stack, enumerable: false, writable: true });
    return copy;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      context: this.context,
      ...(this.cause instanceof Error ? { cause: this.cause.message } : {}),
    };
  }
}

export function describeWhere(ctx: ErrorContext): string {
  const parts: string[] = [];
  if (ctx.file !== undefined) {
    let loc = ctx.file;
    if (ctx.line !== undefined) loc += `:${ctx.line}`;
    if (ctx.line !== undefined && ctx.column !== undefined) loc += `:${ctx.column}`;
    parts.push(loc);
  }
  if (ctx.stage !== undefined) parts.push(`stage ${ctx.stage}`);
  if (ctx.codec !== undefined) parts.push(`codec ${ctx.codec}`);
  if (ctx.topic !== undefined) {
    let loc = `topic ${ctx.topic}`;
    if (ctx.partition !== undefined) loc += `[${ctx.partition}]`;
    if (ctx.offset !== undefined) loc += `@${ctx.offset}`;
    parts.push(loc);
  }
  if (ctx.index !== undefined) parts.push(`record #${ctx.index}`);
  return parts.join(', ');
}

export function isSluiceError(err: unknown): err is SluiceError {
  return err instanceof SluiceError;
}

/** Wraps anything thrown into a SluiceError, keeping the original as `cause`. */
export function toSluiceError(err: unknown, code: ErrorCode, context: ErrorContext = {}): SluiceError {
  if (err instanceof SluiceError) return err.withContext(context);
  const message = err instanceof Error ? err.message : String(err);
  return new SluiceError(code, message, { cause: err, context });
}
