import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import {
  CODEC_HEADERS,
  createCodecChain,
  loadSchemaDirectory,
  parseCodecHeaders,
  schemaFromJson,
  type CodecChain,
} from '../../../src/codecs/index.ts';
import { orderV1, orderV2, orderV3, sampleOrder, schemaV1, schemaV2, schemaV3, tempDir, testKeys, writeJson, errorOf } from './fixtures.ts';

const keys = testKeys('k1', 'k0');
const MiB = 1024 * 1024;

/** Avro decodes records as instances of a generated class; compare as plain data. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

const byteSteps = ['', 'lz4', 'aes-gcm', 'crc32c', 'base64', 'hex', 'lz4|aes-gcm|base64', 'lz4|crc32c|hex', 'aes-gcm|lz4|lz4'];

function chainsFor(serializer: string, options = {}): CodecChain[] {
  return byteSteps.map((steps) => createCodecChain([serializer, steps].filter(Boolean).join('|'), { keys, ...options }));
}

describe('codec chains round-trip', () => {
  it('avro chains: random records from the schema, per record and per batch', () => {
    for (const chain of chainsFor('avro', { schema: schemaV1 })) {
      const values = Array.from({ length: 50 }, () => schemaV1.type.random());
      for (const value of values) expect(plain(chain.decode(chain.encode(value))), chain.spec).toEqual(plain(value));
      expect(plain(chain.decodeBatch(chain.encodeBatch(values))), chain.spec).toEqual(plain(values));
      expect(chain.decodeBatch(chain.encodeBatch([]))).toEqual([]);
    }
  });

  it('avro keeps logical types: Date out, decimals as exact strings', () => {
    const chain = createCodecChain('avro|lz4', { schema: schemaV1 });
    const decoded = chain.decode(chain.encode(sampleOrder(7))) as Record<string, unknown>;
    expect(decoded.placedAt).toEqual(new Date(1714564800007));
    expect(decoded.total).toBe('1234.50');
    expect((decoded.lines as Record<string, unknown>[])[0]?.price).toBe('-3.250');
    expect(decoded.customer).toBe('Zoë Ångström 🚀');
  });

  it('json chains: arbitrary JSON values including unicode, per record and per batch', () => {
    const json = fc.jsonValue().map((value) => JSON.parse(JSON.stringify(value)) as unknown);
    for (const chain of chainsFor('json')) {
      fc.assert(
        fc.property(fc.array(json, { maxLength: 20 }), (values) => {
          for (const value of values) expect(chain.decode(chain.encode(value))).toEqual(value);
          expect(chain.decodeBatch(chain.encodeBatch(values))).toEqual(values);
        }),
        { numRuns: 30 },
      );
    }
  });

  it('byte-only chains: empty, 1-byte and 10 MB payloads', () => {
    const payloads = [Buffer.alloc(0), Buffer.from([0xff]), Buffer.concat([randomBytes(4 * MiB), Buffer.alloc(6 * MiB, 'x')])];
    for (const spec of ['lz4', 'lz4|aes-gcm|base64', 'aes-gcm|crc32c|hex', 'base64|lz4']) {
      const chain = createCodecChain(spec, { keys, maxDecompressedBytes: 32 * MiB });
      for (const payload of payloads) {
        expect((chain.decode(chain.encode(payload)) as Buffer).equals(payload), `${spec} ${payload.length}`).toBe(true);
      }
      const batch = chain.decodeBatch(chain.encodeBatch(payloads)) as Buffer[];
      expect(batch.map((b) => b.length)).toEqual(payloads.map((p) => p.length));
    }
  });

  it('a 10 MB JSON string survives json|lz4|aes-gcm|base64', () => {
    const chain = createCodecChain('json|lz4|aes-gcm|base64', { keys, maxDecompressedBytes: 32 * MiB });
    const value = { text: 'ünïcødé '.repeat(1.25 * MiB) };
    expect(chain.decode(chain.encode(value))).toEqual(value);
  });

  it('batching pays: LZ4 over a batch beats per-record frames on small records', () => {
    const chain = createCodecChain('avro|lz4', { schema: schemaV1 });
    const values = Array.from({ length: 1000 }, (_, i) => sampleOrder(i));
    const perRecord = values.reduce((sum: number, v) => sum + chain.encode(v).length, 0);
    const raw = values.reduce((sum: number, v) => sum + schemaV1.type.toBuffer(v).length, 0);
    const batched = chain.encodeBatch(values).length;
    expect(perRecord).toBeGreaterThan(raw);
    expect(batched).toBeLessThan(raw / 3);
  });
});

describe('encoded bytes are their own', () => {
  it.each(['avro', 'avro|lz4', 'avro|crc32c', 'avro|base64'])('%s: a value encoded stays intact after the next encodes, and matches the Avro encoding', (spec) => {
    const chain = createCodecChain(spec, { schema: schemaV1 });
    const first = chain.encode(sampleOrder(1));
    const copy = Buffer.from(first);
    for (let id = 2; id < 50; id++) chain.encode(sampleOrder(id));
    chain.encodeBatch([sampleOrder(3), sampleOrder(4)]);
    expect(first.equals(copy)).toBe(true);
    expect(plain(chain.decode(first))).toEqual(plain(sampleOrder(1)));
    if (spec === 'avro') expect(first.equals(schemaV1.type.toBuffer(sampleOrder(1)))).toBe(true);
  });
});

describe('codec chain configuration', () => {
  it('canonicalises the spec and names the steps', () => {
    const chain = createCodecChain(' json | lz4 ');
    expect(chain.spec).toBe('json|lz4');
    expect(chain.steps).toEqual(['json', 'lz4']);
  });

  it('fails at build time when a step lacks what it needs', () => {
    expect(errorOf(() => createCodecChain('avro|lz4')).code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(errorOf(() => createCodecChain('json|aes-gcm')).code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(errorOf(() => createCodecChain('avro-confluent', { schema: schemaV1 })).code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(errorOf(() => createCodecChain('avro', { schema: schemaV1, readerSchema: schemaV3 })).code).toBe(ErrorCodes.SCHEMA_INCOMPATIBLE);
  });
});

describe('headers', () => {
  it('names the chain and the writer schema, and parse back', () => {
    const chain = createCodecChain('avro|lz4', { schema: schemaV1 });
    expect(chain.headers()).toEqual({
      [CODEC_HEADERS.chain]: 'avro|lz4',
      [CODEC_HEADERS.schema]: 'com.example.Order',
      [CODEC_HEADERS.fingerprint]: schemaV1.fingerprint,
    });
    const asBuffers = Object.fromEntries(Object.entries(chain.headers()).map(([k, v]) => [k, Buffer.from(v)]));
    expect(parseCodecHeaders(asBuffers)).toEqual({ chain: 'avro|lz4', schema: 'com.example.Order', fingerprint: schemaV1.fingerprint });
    expect(parseCodecHeaders({ other: 'x' })).toBeUndefined();
    expect(createCodecChain('json').headers()).toEqual({ [CODEC_HEADERS.chain]: 'json' });
  });

  it('rejects malformed codec headers', () => {
    expect(errorOf(() => parseCodecHeaders({ [CODEC_HEADERS.chain]: 'avro|zip' })).code).toBe(ErrorCodes.CODEC_UNKNOWN);
    expect(errorOf(() => parseCodecHeaders({ [CODEC_HEADERS.chain]: 'avro', [CODEC_HEADERS.fingerprint]: 'abc' })).code).toBe(ErrorCodes.DESERIALIZE);
    expect(errorOf(() => parseCodecHeaders({ [CODEC_HEADERS.chain]: 'avro', [CODEC_HEADERS.schemaId]: '-1' })).code).toBe(ErrorCodes.DESERIALIZE);
  });

  it('refuses bytes whose header names another chain', () => {
    const json = createCodecChain('json|lz4');
    const bytes = json.encode({ a: 1 });
    expect(json.decode(bytes, { headers: json.headers() })).toEqual({ a: 1 });
    expect(json.decode(bytes, { headers: { [CODEC_HEADERS.chain]: 'json | lz4' } })).toEqual({ a: 1 });
    const error = errorOf(() => json.decode(bytes, { headers: { [CODEC_HEADERS.chain]: 'avro|lz4' } }));
    expect(error.code).toBe(ErrorCodes.CODEC_MISMATCH);
    expect(error.message).toContain('avro|lz4');
  });
});

describe('schema evolution', () => {
  it('a consumer on v2 reads records written with v1 (defaults, promotions, dropped fields)', () => {
    const producer = createCodecChain('avro|lz4', { schema: schemaV1 });
    const consumer = createCodecChain('avro|lz4', { schema: schemaV1, readerSchema: schemaV2 });
    const decoded = consumer.decode(producer.encode(sampleOrder(3))) as Record<string, unknown>;
    expect(decoded.channel).toBe('web');
    expect('note' in decoded).toBe(false);
    expect((decoded.lines as Record<string, unknown>[])[0]).toMatchObject({ sku: 'A-1', qty: 2, price: '-3.250' });
    expect(decoded.total).toBe('1234.50');
    const batch = consumer.decodeBatch(producer.encodeBatch([sampleOrder(1), sampleOrder(2)])) as Record<string, unknown>[];
    expect(batch.map((v) => v.channel)).toEqual(['web', 'web']);
  });

  it('finds the writer schema by the fingerprint header in the schema directory', async () => {
    const dir = await tempDir();
    await writeJson(dir, 'order-v1.avsc', orderV1);
    await writeJson(dir, 'order-v2.avsc', orderV2);
    await writeJson(dir, 'order-v3.avsc', orderV3);
    const schemas = await loadSchemaDirectory(dir);
    const oldProducer = createCodecChain('avro', { schema: schemaV1 });
    const consumer = createCodecChain('avro', { schema: schemaV2, schemas });
    const bytes = oldProducer.encode(sampleOrder(1));
    const decoded = consumer.decode(bytes, { headers: oldProducer.headers() }) as Record<string, unknown>;
    expect(decoded.channel).toBe('web');

    const v3Producer = createCodecChain('avro', { schema: schemaV3 });
    const v3Bytes = v3Producer.encode({ ...sampleOrder(1), region: 'eu' });
    const v1Consumer = createCodecChain('avro', { schema: schemaV1, schemas });
    // v1 can read v3 data (it ignores `region`), but v3 cannot read v1 data (no default for region).
    expect(plain(v1Consumer.decode(v3Bytes, { headers: v3Producer.headers() }))).toEqual(plain(sampleOrder(1)));
    const v3Consumer = createCodecChain('avro', { schema: schemaV3, schemas });
    const incompatible = errorOf(() => v3Consumer.decode(bytes, { headers: oldProducer.headers() }));
    expect(incompatible.code).toBe(ErrorCodes.SCHEMA_INCOMPATIBLE);
    expect(incompatible.message).toContain('region');

    const unknownFingerprint = 'f'.repeat(64);
    const missing = errorOf(() => consumer.decode(bytes, { headers: { [CODEC_HEADERS.fingerprint]: unknownFingerprint } }));
    expect(missing.code).toBe(ErrorCodes.SCHEMA_NOT_FOUND);
  });
});

describe('Confluent wire format', () => {
  async function registry() {
    const dir = await tempDir();
    await writeJson(dir, '21-order.avsc', orderV1);
    await writeJson(dir, '22-order.avsc', orderV2);
    return loadSchemaDirectory(dir);
  }

  it('writes magic byte 0, the schema id big-endian, then the Avro body', async () => {
    const schemas = await registry();
    const chain = createCodecChain('avro-confluent', { schema: schemaV1, schemas });
    const bytes = chain.encode(sampleOrder(1));
    expect(bytes[0]).toBe(0);
    expect(bytes.readUInt32BE(1)).toBe(21);
    expect(bytes.subarray(5).equals(schemaV1.type.toBuffer(sampleOrder(1)))).toBe(true);
    expect(chain.headers()[CODEC_HEADERS.schemaId]).toBe('21');
    expect(plain(chain.decode(bytes))).toEqual(plain(sampleOrder(1)));
  });

  it('reads each message with the schema its id names, into the reader schema', async () => {
    const schemas = await registry();
    const v1 = createCodecChain('avro-confluent', { schema: schemaV1, schemas });
    const v2 = createCodecChain('avro-confluent', { schema: schemaV2, schemas });
    const reader = createCodecChain('avro-confluent', { schemas, readerSchema: schemaV2 });
    const fromV1 = reader.decode(v1.encode(sampleOrder(1))) as Record<string, unknown>;
    const fromV2 = reader.decode(v2.encode({ ...sampleOrder(2), channel: 'app' })) as Record<string, unknown>;
    expect([fromV1.channel, fromV2.channel]).toEqual(['web', 'app']);
    const batch = reader.decodeBatch(v1.encodeBatch([sampleOrder(1), sampleOrder(2)])) as Record<string, unknown>[];
    expect(batch).toHaveLength(2);
    // A decode-only chain has no writer schema to encode with.
    expect(errorOf(() => reader.encode(sampleOrder(1))).code).toBe(ErrorCodes.CONFIG_INVALID);
  });

  it('names unknown ids and non-Confluent bytes', async () => {
    const schemas = await registry();
    const chain = createCodecChain('avro-confluent', { schema: schemaV1, schemas });
    const bytes = chain.encode(sampleOrder(1));
    bytes.writeUInt32BE(99, 1);
    expect(errorOf(() => chain.decode(bytes)).code).toBe(ErrorCodes.SCHEMA_NOT_FOUND);
    expect(errorOf(() => chain.decode(Buffer.from([1, 0, 0, 0, 21, 0]))).code).toBe(ErrorCodes.DESERIALIZE);
  });
});

describe('bad input gives its specific error code, naming the codec', () => {
  const avro = createCodecChain('avro|lz4|aes-gcm|base64', { schema: schemaV1, keys });

  it('malformed JSON: DESERIALIZE with line and column', () => {
    const json = createCodecChain('json');
    const error = errorOf(() => json.decode(Buffer.from('{"a": 1,\n "b": }')));
    expect(error.code).toBe(ErrorCodes.DESERIALIZE);
    expect(error.context).toMatchObject({ codec: 'json', line: 2, column: 7 });
    expect(errorOf(() => json.decode(Buffer.from([0x22, 0xff, 0x22]))).code).toBe(ErrorCodes.DESERIALIZE);
    const batch = errorOf(() => json.decodeBatch(Buffer.from('1\n2\n{oops\n')));
    expect(batch.context).toMatchObject({ codec: 'json', index: 2, line: 3 });
  });

  it('a record that violates the schema: SERIALIZE with the field path', () => {
    const error = errorOf(() => avro.encode({ ...sampleOrder(1), lines: [{ sku: 'A', qty: 1.5, price: '1.000' }] }));
    expect(error.code).toBe(ErrorCodes.SERIALIZE);
    expect(error.context).toMatchObject({ codec: 'avro', path: 'lines.0.qty' });
    expect(error.message).toContain('1.5 is not an int');
    const decimal = errorOf(() => avro.encode({ ...sampleOrder(1), total: 12.5 }));
    expect(decimal.message).toContain('total: 12.5 is not a decimal(12,2) string');
  });

  it('a batch skips invalid records through the handler, naming their index', () => {
    const skipped: [string, number][] = [];
    const batch = avro.encodeBatch([sampleOrder(1), { id: 'x' }, sampleOrder(3)], undefined, (error, index) => {
      skipped.push([error.code, index]);
      expect(error.context.index).toBe(index);
    });
    expect(skipped).toEqual([[ErrorCodes.SERIALIZE, 1]]);
    expect((avro.decodeBatch(batch) as Record<string, unknown>[]).map((v) => v.id)).toEqual([1, 3]);
    expect(errorOf(() => avro.encodeBatch([sampleOrder(1), { id: 'x' }])).context.index).toBe(1);
  });

  it('a truncated LZ4 frame: DECOMPRESS', () => {
    const chain = createCodecChain('json|lz4');
    const bytes = chain.encode({ a: 'b'.repeat(100) });
    const error = errorOf(() => chain.decode(bytes.subarray(0, bytes.length - 3)));
    expect(error.code).toBe(ErrorCodes.DECOMPRESS);
    expect(error.context.codec).toBe('lz4');
  });

  it('a decompression bomb: DECOMPRESS_LIMIT', () => {
    const chain = createCodecChain('lz4', { maxDecompressedBytes: MiB });
    expect(errorOf(() => chain.decode(chain.encode(Buffer.alloc(2 * MiB)))).code).toBe(ErrorCodes.DECOMPRESS_LIMIT);
  });

  it('a tampered AES-GCM message: DECRYPT_AUTH; a wrong key: KEY_UNKNOWN', () => {
    const chain = createCodecChain('json|aes-gcm', { keys });
    const bytes = chain.encode({ a: 1 });
    bytes[bytes.length - 20] = bytes[bytes.length - 20]! ^ 0x80;
    expect(errorOf(() => chain.decode(bytes)).code).toBe(ErrorCodes.DECRYPT_AUTH);
    const other = createCodecChain('json|aes-gcm', { keys: testKeys('k7') });
    expect(errorOf(() => other.decode(chain.encode({ a: 1 }))).code).toBe(ErrorCodes.KEY_UNKNOWN);
  });

  it('bad base64 and a broken checksum: DECODE_TEXT and CHECKSUM_MISMATCH', () => {
    expect(errorOf(() => avro.decode(Buffer.from('%%%%'))).code).toBe(ErrorCodes.DECODE_TEXT);
    const crc = createCodecChain('json|crc32c');
    const bytes = crc.encode([1, 2, 3]);
    bytes[bytes.length - 1] = 0x30;
    expect(errorOf(() => crc.decode(bytes)).code).toBe(ErrorCodes.CHECKSUM_MISMATCH);
  });

  it('Avro bytes that do not fit the schema: DESERIALIZE', () => {
    const chain = createCodecChain('avro', { schema: schemaV1 });
    const bytes = chain.encode(sampleOrder(1));
    expect(errorOf(() => chain.decode(bytes.subarray(0, bytes.length - 4))).code).toBe(ErrorCodes.DESERIALIZE);
    expect(errorOf(() => chain.decode(Buffer.concat([bytes, Buffer.from([0])]))).code).toBe(ErrorCodes.DESERIALIZE);
    const batch = chain.encodeBatch([sampleOrder(1), sampleOrder(2)]);
    expect(errorOf(() => chain.decodeBatch(batch.subarray(0, batch.length - 2))).code).toBe(ErrorCodes.DESERIALIZE);
    const huge = Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]);
    expect(errorOf(() => chain.decodeBatch(huge)).message).toContain('more than the limit');
  });

  it('a byte-only chain refuses non-Buffer values', () => {
    const chain = createCodecChain('lz4');
    expect(errorOf(() => chain.encode('text')).code).toBe(ErrorCodes.SERIALIZE);
    expect(errorOf(() => chain.encode({ a: 1 })).context.codec).toBe('bytes');
  });

  it('json refuses values JSON cannot hold', () => {
    const chain = createCodecChain('json');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const value of [undefined, 10n, cyclic]) expect(errorOf(() => chain.encode(value)).code).toBe(ErrorCodes.SERIALIZE);
  });
});

describe('inline schemas', () => {
  it('a primitive schema works as a serializer too', () => {
    const chain = createCodecChain('avro|hex', { schema: schemaFromJson('string') });
    expect(chain.decode(chain.encode('héllo'))).toBe('héllo');
    expect(chain.headers()[CODEC_HEADERS.schema]).toBe('string');
  });
});
