import { ErrorCodes, SluiceError } from '../core/index.ts';

/**
 * A chain is declared by name (`avro|lz4|aes-gcm|base64`): at most one
 * serializer (value ↔ bytes), first, then any number of byte codecs
 * (bytes ↔ bytes). The decode direction is the same list reversed, so no one
 * ever writes an inverse chain by hand.
 */

export const serializerNames = ['avro', 'avro-confluent', 'json'] as const;
export const byteCodecNames = ['lz4', 'aes-gcm', 'crc32c', 'base64', 'hex'] as const;

export type SerializerName = (typeof serializerNames)[number];
export type ByteCodecName = (typeof byteCodecNames)[number];
export type CodecName = SerializerName | ByteCodecName;

/** Every step name accepted in a chain. */
export const codecNames: readonly string[] = Object.freeze([...serializerNames, ...byteCodecNames]);

export function isSerializerName(name: string): name is SerializerName {
  return (serializerNames as readonly string[]).includes(name);
}

function isCodecName(name: string): name is CodecName {
  return codecNames.includes(name);
}

/** The chain of no steps: values are bytes already and stay as they are (dead-letter topics). */
export const RAW_CHAIN = 'none';

/**
 * Splits a chain spec on `|` and checks the names and their order. Needs no
 * keys or schemas, so a topology can be validated before anything is loaded.
 */
export function parseCodecChain(spec: string): CodecName[] {
  if (spec.trim() === RAW_CHAIN) return [];
  const steps = spec.split('|').map((step) => step.trim());
  const names: CodecName[] = [];
  for (const [index, step] of steps.entries()) {
    if (!isCodecName(step)) {
      const shown = step === '' ? 'an empty step' : `"${step}"`;
      throw new SluiceError(
        ErrorCodes.CODEC_UNKNOWN,
        `codec chain "${spec}": ${shown} is not a codec; valid codecs are ${codecNames.join(', ')}`,
        { context: { codec: step, index } },
      );
    }
    if (isSerializerName(step) && index > 0) {
      throw new SluiceError(
        ErrorCodes.CODEC_CHAIN_INVALID,
        `codec chain "${spec}": serializer "${step}" must be the first step (it turns values into bytes; ` +
          `${steps.slice(0, index).join('|')} already works on bytes)`,
        { context: { codec: step, index } },
      );
    }
    names.push(step);
  }
  return names;
}
