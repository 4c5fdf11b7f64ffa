import { Transform, type TransformCallback } from 'node:stream';
import { ErrorCodes, SluiceError, toSluiceError, type ErrorContext, type Headers, type SluiceRecord } from '../core/index.ts';
import type { CodecChain, CodecContext } from './types.ts';

/**
 * Transform streams around a codec chain. They add nothing but batching,
 * record handling and the error channel; backpressure is the Transform's own
 * (one callback per input chunk, pushes counted against highWaterMark).
 *
 * Items: with `items: 'records'` (the default) each chunk is a SluiceRecord;
 * its `value` is encoded or decoded and key, timestamp, topic, partition and
 * offset are kept; encoding adds the chain's headers to the record's own.
 * With `items: 'values'` each chunk is a bare value (encode) or Buffer
 * (decode). A decoded bare value cannot be null, which ends an object stream:
 * such a record goes to the error channel (use records to carry nulls).
 *
 * Errors: a chunk that fails goes to `onError(error, input)` and the stream
 * goes on; if `onError` returns a promise the stream waits for it (so a
 * dead-letter write is acknowledged before the next record). Without
 * `onError` the first failure destroys the stream.
 */

export type CodecErrorHandler = (error: SluiceError, input: unknown) => void | Promise<void>;

export interface CodecStreamOptions {
  items?: 'records' | 'values';
  onError?: CodecErrorHandler;
  /** Additional authenticated data for aes-gcm, the same for every chunk (e.g. the topic). */
  aad?: Buffer;
  highWaterMark?: number;
}

export interface EncodeStreamOptions extends CodecStreamOptions {
  /**
   * Frame this many items into one Buffer (`chain.encodeBatch`) and push that
   * instead of one output per item; the last, partial batch is pushed at the
   * end. Output chunks are then Buffers, and record headers are not kept.
   */
  batchSize?: number;
}

export interface DecodeStreamOptions extends CodecStreamOptions {
  /** Each input chunk is a batch (`chain.encodeBatch` output); every value in it is pushed on its own. */
  batches?: boolean;
}

abstract class CodecStream extends Transform {
  protected readonly records: boolean;
  protected readonly ctx: CodecContext | undefined;
  /** Chunks seen, for error context when there is no offset. */
  protected seen = 0;
  private readonly onError: CodecErrorHandler | undefined;

  constructor(
    protected readonly chain: CodecChain,
    options: CodecStreamOptions,
  ) {
    super({ objectMode: true, ...(options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark }) });
    this.records = (options.items ?? 'records') === 'records';
    this.ctx = options.aad === undefined ? undefined : { aad: options.aad };
    this.onError = options.onError;
  }

  protected record(item: unknown): SluiceRecord {
    if (typeof item === 'object' && item !== null && 'value' in item && 'headers' in item) return item as SluiceRecord;
    throw new SluiceError(ErrorCodes.RECORD_INVALID, `codec stream expected a record ({ key, value, headers, ... }), got ${describe(item)}`, {
      context: { codec: this.chain.spec },
    });
  }

  /** Where a chunk came from: its topic position when it has one, else its index in this stream. */
  protected where(item: unknown, index: number): ErrorContext {
    if (this.records && typeof item === 'object' && item !== null) {
      const { topic, partition, offset } = item as Partial<SluiceRecord>;
      if (topic !== undefined) return { topic, partition, offset };
    }
    return { index };
  }

  /** Reports failures in order, then calls back; a rejected or throwing handler fails the stream. */
  protected report(failures: readonly [SluiceError, unknown][], callback: TransformCallback): void {
    const onError = this.onError;
    if (failures.length === 0) return callback();
    if (onError === undefined) return callback((failures[0] as [SluiceError, unknown])[0]);
    let i = 0;
    const next = (): void => {
      while (i < failures.length) {
        const [error, input] = failures[i++] as [SluiceError, unknown];
        let pending: void | Promise<void>;
        try {
          pending = onError(error, input);
        } catch (err) {
          return callback(err as Error);
        }
        if (pending instanceof Promise) {
          pending.then(next, callback);
          return;
        }
      }
      callback();
    };
    next();
  }

  protected fail(err: unknown, item: unknown, index: number, code: typeof ErrorCodes.SERIALIZE | typeof ErrorCodes.DESERIALIZE, callback: TransformCallback): void {
    this.report([[toSluiceError(err, code, this.where(item, index)), item]], callback);
  }
}

class EncodeStream extends CodecStream {
  private readonly batchSize: number;
  private readonly headers: Readonly<Record<string, string>>;
  private pending: unknown[] = [];
  private pendingStart = 0;

  constructor(chain: CodecChain, options: EncodeStreamOptions) {
    super(chain, options);
    const batchSize = options.batchSize ?? 0;
    if (!Number.isInteger(batchSize) || batchSize < 0) throw new RangeError(`batchSize must be a non-negative integer, got ${batchSize}`);
    this.batchSize = batchSize;
    this.headers = chain.headers();
  }

  override _transform(item: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    const index = this.seen++;
    if (this.batchSize > 0) {
      if (this.pending.length === 0) this.pendingStart = index;
      this.pending.push(item);
      if (this.pending.length >= this.batchSize) return this.flushBatch(callback);
      return callback();
    }
    let out: unknown;
    try {
      out = this.records ? this.encodeRecord(this.record(item)) : this.chain.encode(item, this.ctx);
    } catch (err) {
      return this.fail(err, item, index, ErrorCodes.SERIALIZE, callback);
    }
    callback(null, out);
  }

  override _flush(callback: TransformCallback): void {
    if (this.pending.length === 0) return callback();
    this.flushBatch(callback);
  }

  private encodeRecord(record: SluiceRecord): SluiceRecord<Buffer> {
    return {
      key: record.key,
      value: this.chain.encode(record.value, this.ctx),
      headers: Object.assign({}, record.headers, this.headers) as Headers,
      timestamp: record.timestamp,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
    };
  }

  private flushBatch(callback: TransformCallback): void {
    const items = this.pending;
    const start = this.pendingStart;
    this.pending = [];
    const failures: [SluiceError, unknown][] = [];
    const values: unknown[] = [];
    const origins: number[] = [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      if (!this.records) {
        values.push(item);
        origins.push(i);
        continue;
      }
      try {
        values.push(this.record(item).value);
        origins.push(i);
      } catch (err) {
        failures.push([(err as SluiceError).withContext(this.where(item, start + i)), item]);
      }
    }
    try {
      const batch = this.chain.encodeBatch(values, this.ctx, (error, at) => {
        const i = origins[at] as number;
        failures.push([error.withContext(this.where(items[i], start + i)), items[i]]);
      });
      this.push(batch);
    } catch (err) {
      failures.push([toSluiceError(err, ErrorCodes.SERIALIZE, { index: start }), items]);
    }
    this.report(failures, callback);
  }
}

class DecodeStream extends CodecStream {
  private readonly batches: boolean;

  constructor(chain: CodecChain, options: DecodeStreamOptions) {
    super(chain, options);
    this.batches = options.batches ?? false;
  }

  override _transform(item: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    const index = this.seen++;
    try {
      if (this.records) this.decodeRecord(this.record(item));
      else this.decodeValue(bytesOf(item, this.chain.spec));
    } catch (err) {
      return this.fail(err, item, index, ErrorCodes.DESERIALIZE, callback);
    }
    callback();
  }

  private decodeValue(bytes: Buffer): void {
    const values = this.batches ? this.chain.decodeBatch(bytes, this.ctx) : [this.chain.decode(bytes, this.ctx)];
    // Checked before pushing anything, so a failure never leaves half a batch behind.
    if (values.includes(null)) {
      throw new SluiceError(ErrorCodes.RECORD_INVALID, 'decoded value is null, which a stream of bare values cannot carry (use items: "records")', {
        context: { codec: this.chain.spec },
      });
    }
    for (let i = 0; i < values.length; i++) this.push(values[i]);
  }

  private decodeRecord(record: SluiceRecord): void {
    const bytes = bytesOf(record.value, this.chain.spec);
    const ctx: CodecContext = { aad: this.ctx?.aad, headers: record.headers };
    if (!this.batches) {
      this.push(withValue(record, this.chain.decode(bytes, ctx)));
      return;
    }
    const values = this.chain.decodeBatch(bytes, ctx);
    for (let i = 0; i < values.length; i++) this.push(withValue(record, values[i]));
  }
}

function withValue(record: SluiceRecord, value: unknown): SluiceRecord {
  return {
    key: record.key,
    value,
    headers: record.headers,
    timestamp: record.timestamp,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
  };
}

function bytesOf(value: unknown, spec: string): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new SluiceError(ErrorCodes.DESERIALIZE, `codec chain "${spec}" decodes bytes, got ${describe(value)}`, {
    context: { codec: spec },
  });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object without value/headers' : typeof value;
}

export function createEncodeStream(chain: CodecChain, options: EncodeStreamOptions = {}): Transform {
  return new EncodeStream(chain, options);
}

export function createDecodeStream(chain: CodecChain, options: DecodeStreamOptions = {}): Transform {
  return new DecodeStream(chain, options);
}
