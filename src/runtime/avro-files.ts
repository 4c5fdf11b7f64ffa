/**
 * Avro object container files (`format: avro`) as a stage's source or sink,
 * through avsc's container streams. Only the `null` and `deflate` block codecs
 * are read, and deflate is inflated with a size cap, so a hostile file cannot
 * inflate without bound; a failure is a SluiceError naming the file.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { inflateRaw, deflateRaw } from 'node:zlib';
import avro, { type Type } from 'avsc';
import { logicalTypes } from '../codecs/index.ts';
import { ErrorCodes, SluiceError } from '../core/index.ts';
import type { Envelope } from './envelope.ts';
import { formatLine } from './sinks/lines.ts';

const MAX_BLOCK_BYTES = 64 * 1024 * 1024;

type BlockCodec = (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => void;

const readCodecs: Record<string, BlockCodec> = {
  null: (buf, cb) => cb(null, buf),
  deflate: (buf, cb) => inflateRaw(buf, { maxOutputLength: MAX_BLOCK_BYTES }, cb),
};

const writeCodecs: Record<string, BlockCodec> = {
  null: (buf, cb) => cb(null, buf),
  deflate: (buf, cb) => deflateRaw(buf, cb),
};

function fileError(path: string, err: unknown, code: (typeof ErrorCodes)[keyof typeof ErrorCodes]): SluiceError {
  return new SluiceError(code, `avro file ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err, context: { file: path } });
}

/** Records of an Avro container file as envelopes, values decoded with sluice's logical types. */
export function createAvroFileSource(path: string): Readable[] {
  const decoder = avro.createFileDecoder(path, {
    codecs: readCodecs,
    parseHook: (schema: unknown) => avro.Type.forSchema(schema as avro.Schema, { logicalTypes }),
  } as unknown as Parameters<typeof avro.createFileDecoder>[1]);
  let index = 0;
  const toEnvelopes = new Transform({
    objectMode: true,
    highWaterMark: 256,
    transform(value: unknown, _enc: BufferEncoding, cb: TransformCallback) {
      index++;
      const timestamp = Date.now();
      cb(null, {
        record: { key: null, value, headers: {}, timestamp },
        token: undefined,
        origin: { file: path, line: index, rawKey: null, rawValue: formatLine(value).trimEnd(), rawHeaders: {}, timestamp },
      } satisfies Envelope);
    },
  });
  // The decoder opens the file itself; its stream is the first of the pipeline.
  return [decoder as unknown as Readable, toEnvelopes];
}

/** An Avro container file sink with `type` as its writer schema; a record's input is done once written. */
export class AvroFileSink extends Writable {
  readonly #encoder: InstanceType<typeof avro.streams.BlockEncoder>;
  readonly #path: string;
  readonly #done: Promise<void>;
  written = 0;

  constructor(path: string, type: Type) {
    super({ objectMode: true, highWaterMark: 256 });
    mkdirSync(dirname(path), { recursive: true });
    this.#path = path;
    this.#encoder = new avro.streams.BlockEncoder(type, { codec: 'deflate', codecs: writeCodecs } as never);
    this.#done = pipeline(this.#encoder as unknown as Readable, createWriteStream(path));
    this.#done.catch((err: unknown) => this.destroy(fileError(path, err, ErrorCodes.SERIALIZE)));
  }

  override _write(env: Envelope, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    const more = this.#encoder.write(env.record.value);
    env.token?.done();
    this.written++;
    if (more) callback();
    else this.#encoder.once('drain', () => callback());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#encoder.end();
    this.#done.then(() => callback(), callback);
  }

  get path(): string {
    return this.#path;
  }
}
