import { ErrorCodes, SluiceError, headerString, type Headers } from '../core/index.ts';
import { parseCodecChain } from './names.ts';

/**
 * Headers that travel with every encoded message so any consumer can decode
 * it without out-of-band knowledge: the codec chain, and the writer schema by
 * name plus fingerprint (or Confluent schema id).
 */
export const CODEC_HEADERS = {
  chain: 'sluice-codec',
  schema: 'sluice-schema',
  fingerprint: 'sluice-schema-fingerprint',
  schemaId: 'sluice-schema-id',
} as const;

export interface CodecHeaderInfo {
  /** The chain spec, e.g. `avro|lz4`. */
  chain: string;
  schema?: string;
  fingerprint?: string;
  schemaId?: number;
}

export function buildCodecHeaders(info: CodecHeaderInfo): Record<string, string> {
  const headers: Record<string, string> = { [CODEC_HEADERS.chain]: info.chain };
  if (info.schema !== undefined) headers[CODEC_HEADERS.schema] = info.schema;
  if (info.fingerprint !== undefined) headers[CODEC_HEADERS.fingerprint] = info.fingerprint;
  if (info.schemaId !== undefined) headers[CODEC_HEADERS.schemaId] = String(info.schemaId);
  return headers;
}

/**
 * Reads the codec headers back; undefined when the message carries none (it
 * was written by another tool). Malformed values throw, naming the header.
 */
export function parseCodecHeaders(headers: Headers): CodecHeaderInfo | undefined {
  const chain = headerString(headers, CODEC_HEADERS.chain);
  if (chain === undefined) return undefined;
  const info: CodecHeaderInfo = { chain: parseCodecChain(chain).join('|') };
  const schema = headerString(headers, CODEC_HEADERS.schema);
  if (schema !== undefined) info.schema = schema;
  const fingerprint = headerString(headers, CODEC_HEADERS.fingerprint);
  if (fingerprint !== undefined) {
    if (!/^[0-9a-f]{64}$/.test(fingerprint)) throw badHeader(CODEC_HEADERS.fingerprint, fingerprint, 'a SHA-256 in hex');
    info.fingerprint = fingerprint;
  }
  const schemaId = headerString(headers, CODEC_HEADERS.schemaId);
  if (schemaId !== undefined) {
    if (!/^\d{1,10}$/.test(schemaId) || Number(schemaId) > 0xffffffff) {
      throw badHeader(CODEC_HEADERS.schemaId, schemaId, 'an unsigned 32-bit integer');
    }
    info.schemaId = Number(schemaId);
  }
  return info;
}

function badHeader(name: string, value: string, expected: string): SluiceError {
  return new SluiceError(ErrorCodes.DESERIALIZE, `header ${name} is "${value}", expected ${expected}`, {
    context: { header: name },
  });
}
