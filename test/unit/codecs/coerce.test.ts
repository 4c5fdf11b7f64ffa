import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { coerceJsonForSchema, createCodecChain, schemaFromJson } from '../../../src/codecs/index.ts';
import { plainNumber } from '../../../src/codecs/coerce.ts';
import { schemaV1, errorOf } from './fixtures.ts';

/** An ndjson line as people write it. */
const line = {
  id: 42,
  customer: 'Ann',
  placedAt: '2024-05-01T12:00:00.250+02:00',
  total: 19.9,
  status: 'NEW',
  lines: [{ sku: 'A', qty: 1, price: '0.5' }],
  attrs: {},
};

describe('coerceJsonForSchema', () => {
  it('turns ISO timestamps and numeric decimals into what the Avro type takes', () => {
    const value = coerceJsonForSchema(schemaV1.type, line) as Record<string, unknown>;
    expect(value.placedAt).toEqual(new Date('2024-05-01T10:00:00.250Z'));
    expect(value.total).toBe('19.9');
    expect(schemaV1.type.isValid(value)).toBe(true);
    const chain = createCodecChain('avro', { schema: schemaV1 });
    const decoded = chain.decode(chain.encode(value)) as Record<string, unknown>;
    expect(decoded.total).toBe('19.90');
    expect(decoded.note).toBeNull();
  });

  it('takes epoch milliseconds and plain dates for timestamps', () => {
    const type = schemaFromJson({ type: 'long', logicalType: 'timestamp-millis' }).type;
    expect(coerceJsonForSchema(type, 1714564800000)).toEqual(new Date(1714564800000));
    expect(coerceJsonForSchema(type, '2024-05-01')).toEqual(new Date('2024-05-01T00:00:00Z'));
    expect(coerceJsonForSchema(type, '2024-05-01T12:00:00Z')).toEqual(new Date('2024-05-01T12:00:00Z'));
  });

  it('refuses timestamps without a zone, which would depend on the machine', () => {
    const type = schemaFromJson({ type: 'long', logicalType: 'timestamp-millis' }).type;
    for (const bad of ['2024-05-01T12:00:00', 'yesterday', 1.5, true]) {
      expect(errorOf(() => coerceJsonForSchema(type, bad)).code).toBe(ErrorCodes.RECORD_INVALID);
    }
  });

  it('never rounds a decimal: more fraction digits than the scale is an error', () => {
    const type = schemaFromJson({ type: 'bytes', logicalType: 'decimal', precision: 6, scale: 2 }).type;
    expect(coerceJsonForSchema(type, 12)).toBe('12');
    expect(coerceJsonForSchema(type, '-0.05')).toBe('-0.05');
    expect(errorOf(() => coerceJsonForSchema(type, 0.1 + 0.2)).code).toBe(ErrorCodes.RECORD_INVALID);
    expect(errorOf(() => coerceJsonForSchema(type, 12345.6)).code).toBe(ErrorCodes.RECORD_INVALID);
    expect(errorOf(() => coerceJsonForSchema(type, '1,5')).code).toBe(ErrorCodes.RECORD_INVALID);
  });

  it('writes numbers without exponents', () => {
    expect(plainNumber(1e-7)).toBe('0.0000001');
    expect(plainNumber(-1.5e-7)).toBe('-0.00000015');
    expect(plainNumber(1.25e21)).toBe('1250000000000000000000');
    expect(plainNumber(12.5)).toBe('12.5');
  });

  it('names the field path of what does not fit', () => {
    const cases: [unknown, string][] = [
      [{ ...line, lines: [{ sku: 'A', qty: 1.5, price: '1' }] }, 'lines[0].qty'],
      [{ ...line, lines: [{ sku: 'A', qty: 1, price: '1.2345' }] }, 'lines[0].price'],
      [{ ...line, status: 'LOST' }, 'status'],
      [{ ...line, attrs: { 'gift wrap': 5 } }, 'attrs["gift wrap"]'],
      [{ ...line, surprise: 1 }, 'surprise'],
      [{ ...line, customer: undefined }, 'customer'],
      [{ ...line, note: 12 }, 'note'],
      ['not an object', '(value)'],
    ];
    for (const [value, path] of cases) {
      const error = errorOf(() => coerceJsonForSchema(schemaV1.type, value));
      expect(error.code, path).toBe(ErrorCodes.RECORD_INVALID);
      expect(error.context.path).toBe(path);
      expect(error.message).toContain(path);
    }
  });

  it('leaves out fields with defaults, and may allow unknown fields', () => {
    // `line` has no `note`, whose default is null.
    const value0 = coerceJsonForSchema(schemaV1.type, line);
    expect(value0).not.toHaveProperty('note');
    expect(schemaV1.type.isValid(value0)).toBe(true);
    const value = coerceJsonForSchema(schemaV1.type, { ...line, extra: 1 }, { allowUnknownFields: true });
    expect(value).not.toHaveProperty('extra');
  });

  it('picks union branches from plain values and wrapped ones', () => {
    const unwrapped = schemaFromJson(['null', { type: 'long', logicalType: 'timestamp-millis' }, 'string']).type;
    expect(coerceJsonForSchema(unwrapped, null)).toBeNull();
    expect(coerceJsonForSchema(unwrapped, 5)).toEqual(new Date(5));
    expect(coerceJsonForSchema(unwrapped, 'x')).toBe('x');
    const wrapped = schemaFromJson([
      'null',
      { type: 'record', name: 'A', fields: [{ name: 'a', type: 'int' }] },
      { type: 'record', name: 'B', fields: [{ name: 'b', type: 'int' }] },
    ]).type;
    expect(coerceJsonForSchema(wrapped, { B: { b: 1 } })).toEqual({ B: { b: 1 } });
    expect(coerceJsonForSchema(wrapped, { b: 2 })).toEqual({ B: { b: 2 } });
    expect(errorOf(() => coerceJsonForSchema(wrapped, { c: 3 })).message).toContain('matches no branch');
  });

  it('reads bytes and fixed as Avro JSON strings of code points 0-255', () => {
    const fixed = schemaFromJson({ type: 'fixed', name: 'F', size: 2 }).type;
    expect(coerceJsonForSchema(fixed, '\u00ff\u0001')).toEqual(Buffer.from([0xff, 0x01]));
    expect(errorOf(() => coerceJsonForSchema(fixed, 'abc')).code).toBe(ErrorCodes.RECORD_INVALID);
    expect(errorOf(() => coerceJsonForSchema(schemaFromJson('bytes').type, '€')).code).toBe(ErrorCodes.RECORD_INVALID);
  });

  it('checks integer ranges', () => {
    const int = schemaFromJson('int').type;
    expect(coerceJsonForSchema(int, 2147483647)).toBe(2147483647);
    expect(errorOf(() => coerceJsonForSchema(int, 2147483648)).code).toBe(ErrorCodes.RECORD_INVALID);
    expect(errorOf(() => coerceJsonForSchema(schemaFromJson('long').type, 2 ** 53)).code).toBe(ErrorCodes.RECORD_INVALID);
  });
});
