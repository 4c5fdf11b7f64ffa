/**
 * Avro object container files (`format: avro`) as a stage's source, through
 * avsc's container streams (the sink is sinks/avro-file.ts). Only the `null`
 * and `deflate` block codecs are read, and deflate is inflated with a size
 * cap, so a hostile file cannot inflate without bound.
 */
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { inflateRaw } from 'node:zlib';
import avro from 'avsc';
import { logicalTypes } from '../codecs/index.ts';
import type { Envelope } from './envelope.ts';
import { formatLine } from './sinks/lines.ts';

const MAX_BLOCK_BYTES = 64 * 1024 * 1024;

type BlockCodec = (buf: Buffer, cb: (err: Error | null, out?: Buffer) => void) => void;

const readCodecs: Record<string, BlockCodec> = {
  null: (buf, cb) => cb(null, buf),
  deflate: (buf, cb) => inflateRaw(buf, { maxOutputLength: MAX_BLOCK_BYTES }, cb),
};

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
