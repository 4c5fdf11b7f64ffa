/**
 * Avro object container files (`format: avro`) as a stage's source, through
 * avsc's container streams (the sink is sinks/avro-file.ts). Only the `null`
 * and `deflate` block codecs are read, and deflate is inflated with a size
 * cap, so a hostile file cannot inflate without bound.
 */
import type { FileHandle } from 'node:fs/promises';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { inflateRaw } from 'node:zlib';
import avro from 'avsc';
import { logicalTypes } from '../codecs/index.ts';
import type { Envelope } from './envelope.ts';
import type { Completion } from './offsets.ts';
import { chunksOf } from './sources/tracked-file.ts';
import { formatLine } from './sinks/lines.ts';

const MAX_BLOCK_BYTES = 64 * 1024 * 1024;

type BlockCodec = (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => void;

const readCodecs: Record<string, BlockCodec> = {
  null: (buf, cb) => cb(null, buf),
  deflate: (buf, cb) => inflateRaw(buf, { maxOutputLength: MAX_BLOCK_BYTES }, cb),
};

export interface AvroFileSourceOptions {
  /** Shown in errors and dead-letter headers. */
  name: string;
  signal?: AbortSignal;
  /** Records to skip (read before), and so the number of the last of them. */
  skip?: number;
  /** A token for record number `index` (from 1); the position after it is `index`. */
  track?: (next: number, index: number) => Completion;
}

/**
 * Records of an open Avro container file as envelopes, values decoded with
 * sluice's logical types. A graceful stop (`signal`) lets no more records
 * through; the rest of the file is only decoded, not read into the stage.
 */
export function createAvroFileSource(handle: FileHandle, options: AvroFileSourceOptions): Readable[] {
  const decoder = new avro.streams.BlockDecoder({
    codecs: readCodecs,
    parseHook: (schema: unknown) => avro.Type.forSchema(schema as avro.Schema, { logicalTypes }),
  } as unknown as ConstructorParameters<typeof avro.streams.BlockDecoder>[0]);
  const { name, signal, track } = options;
  const skip = options.skip ?? 0;
  let index = 0;
  const toEnvelopes = new Transform({
    objectMode: true,
    highWaterMark: 256,
    transform(value: unknown, _enc: BufferEncoding, cb: TransformCallback) {
      index++;
      if (index <= skip || signal?.aborted) return cb();
      const timestamp = Date.now();
      cb(null, {
        record: { key: null, value, headers: {}, timestamp },
        token: track?.(index, index),
        origin: { file: name, line: index, rawKey: null, rawValue: formatLine(value).trimEnd(), rawHeaders: {}, timestamp },
      } satisfies Envelope);
    },
  });
  return [Readable.from(chunksOf(handle), { objectMode: false }), decoder as unknown as Transform, toEnvelopes];
}
