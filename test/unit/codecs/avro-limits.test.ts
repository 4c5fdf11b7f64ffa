/**
 * Hostile Avro bodies: a block count or length prefix far beyond the bytes
 * that follow is refused before anything is allocated, with the codec's
 * DESERIALIZE error; honest collections, zero-width items and reader/writer
 * resolution still decode.
 */
import { describe, expect, it } from 'vitest';
import { MAX_ZERO_WIDTH_ITEMS, createCodecChain, minWireBytes, schemaFromJson } from '../../../src/codecs/index.ts';
import { ErrorCodes } from '../../../src/core/index.ts';
import { avroLong as varint } from './fixtures.ts';

const ints = schemaFromJson({ type: 'record', name: 'R', fields: [{ name: 'xs', type: { type: 'array', items: 'int' } }] });
const maps = schemaFromJson({ type: 'record', name: 'M', fields: [{ name: 'm', type: { type: 'map', values: 'long' } }] });
const nulls = schemaFromJson({ type: 'array', items: 'null' });

function decodeError(schema: typeof ints, bytes: Buffer): { code?: string; message: string } {
  try {
    createCodecChain('avro', { schema }).decode(bytes);
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('decoded');
}

describe('Avro collections on hostile input', () => {
  it('refuses an array block count of 100,000,000 in six bytes at once, without allocating it', () => {
    const before = process.memoryUsage().heapUsed;
    const started = performance.now();
    const err = decodeError(ints, varint(100_000_000n));
    expect(err.code).toBe(ErrorCodes.DESERIALIZE);
    expect(err.message).toMatch(/array block claims 100000000 items with 0 bytes left/);
    expect(performance.now() - started).toBeLessThan(100);
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(50e6);
  });

  it('refuses a negative (sized) block count and a map count the bytes cannot hold', () => {
    expect(decodeError(ints, Buffer.concat([varint(-50_000_000n), varint(4n)])).message).toMatch(/array block claims 50000000 items/);
    expect(decodeError(maps, Buffer.concat([varint(3n), Buffer.from([2, 0x61])])).message).toMatch(/map block claims 3 items with 2 bytes left/);
  });

  it('refuses a huge string length prefix as truncated', () => {
    const s = schemaFromJson({ type: 'record', name: 'S', fields: [{ name: 's', type: 'string' }] });
    expect(decodeError(s, varint(1n << 60n)).code).toBe(ErrorCodes.DESERIALIZE);
  });

  it('still decodes honest arrays and maps, across several blocks', () => {
    const chain = createCodecChain('avro', { schema: ints });
    const value = { xs: Array.from({ length: 5000 }, (_, i) => i - 2500) };
    expect(chain.decode(chain.encode(value))).toEqual(value);
    const twoBlocks = Buffer.concat([varint(2n), varint(7n), varint(8n), varint(-1n), varint(1n), varint(9n), varint(0n)]);
    expect(chain.decode(twoBlocks)).toEqual({ xs: [7, 8, 9] });
    const m = createCodecChain('avro', { schema: maps });
    expect(m.decode(m.encode({ m: { a: 1, b: 2 } }))).toEqual({ m: { a: 1, b: 2 } });
  });

  it('lets zero-width items through by count, up to a cap', () => {
    const chain = createCodecChain('avro', { schema: nulls });
    expect(chain.decode(Buffer.concat([varint(10n), varint(0n)]))).toHaveLength(10);
    expect(decodeError(nulls, Buffer.concat([varint(BigInt(MAX_ZERO_WIDTH_ITEMS) + 1n), varint(0n)])).message).toMatch(/array block claims/);
  });

  it('guards reading through a resolver too (reader schema v2 over writer v1)', () => {
    const v2 = schemaFromJson({
      type: 'record',
      name: 'R',
      fields: [
        { name: 'xs', type: { type: 'array', items: 'long' } },
        { name: 'note', type: 'string', default: '' },
      ],
    });
    const reader = createCodecChain('avro', { schema: ints, readerSchema: v2 });
    const writer = createCodecChain('avro', { schema: ints });
    expect(reader.decode(writer.encode({ xs: [1, 2] }))).toEqual({ xs: [1, 2], note: '' });
    expect(() => reader.decode(varint(100_000_000n))).toThrow(/array block claims/);
  });

  it('knows the fewest bytes each type takes', () => {
    const t = (json: unknown) => minWireBytes(schemaFromJson(json).type);
    expect(t('null')).toBe(0);
    expect(t({ type: 'record', name: 'E', fields: [] })).toBe(0);
    expect(t({ type: 'record', name: 'P', fields: [{ name: 'a', type: 'double' }, { name: 'b', type: 'int' }] })).toBe(9);
    expect(t({ type: 'fixed', name: 'F', size: 16 })).toBe(16);
    expect(t({ type: 'long', logicalType: 'timestamp-millis' })).toBe(1);
    expect(t(['null', 'string'])).toBe(1);
  });
});
