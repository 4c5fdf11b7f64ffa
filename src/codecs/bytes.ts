import avro from 'avsc';
import { ErrorCodes } from '../core/index.ts';
import { BlockWriter, decodeBlock } from './avro-block.ts';
import { codecError } from './codec-error.ts';
import type { InvalidValueHandler, Serializer } from './types.ts';

/**
 * The serializer of a chain that names none (`lz4|base64`): values are
 * already bytes (Buffers). A batch is framed like an Avro block of `bytes`
 * (count, then each value length-prefixed), so the same framing serves all.
 */

const NAME = 'bytes';
const BYTES = avro.Type.forSchema('bytes');

function notBytes(value: unknown): Error {
  const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
  return codecError(
    ErrorCodes.SERIALIZE,
    NAME,
    `chain has no serializer, so values must be Buffers, got ${kind} (start the chain with json or avro)`,
  );
}

export function createBytesSerializer(maxBatchRecords: number): Serializer {
  const block = new BlockWriter();
  return {
    name: NAME,
    headers: Object.freeze({}),
    encode(value) {
      if (!Buffer.isBuffer(value)) throw notBytes(value);
      return value;
    },
    decode(bytes) {
      return bytes;
    },
    encodeBatch(values: readonly unknown[], onInvalid: InvalidValueHandler | undefined) {
      return block.encodeBatch(BYTES, values, undefined, onInvalid, notBytes);
    },
    decodeBatch(bytes) {
      return decodeBlock(BYTES, undefined, bytes, 0, maxBatchRecords, NAME);
    },
  };
}
