import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatUnscaled, fromTwosComplement, parseDecimal, toTwosComplement } from '../../../src/codecs/logical-types.ts';
import { schemaFromJson } from '../../../src/codecs/index.ts';

describe('decimal bytes', () => {
  it('encodes big-endian two\'s complement, minimal length', () => {
    const cases: [bigint, string][] = [
      [0n, '00'], [1n, '01'], [-1n, 'ff'], [127n, '7f'], [128n, '0080'], [-128n, '80'], [-129n, 'ff7f'], [65535n, '00ffff'],
    ];
    for (const [value, hex] of cases) {
      expect(toTwosComplement(value)?.toString('hex')).toBe(hex);
      expect(fromTwosComplement(Buffer.from(hex, 'hex'))).toBe(value);
    }
  });

  it('sign-extends to a fixed size and refuses what does not fit', () => {
    expect(toTwosComplement(-2n, 4)?.toString('hex')).toBe('fffffffe');
    expect(toTwosComplement(2n, 4)?.toString('hex')).toBe('00000002');
    expect(toTwosComplement(1n << 31n, 4)).toBeUndefined();
  });

  it('round-trips any integer', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 200n), max: 1n << 200n }), (n) => {
        expect(fromTwosComplement(toTwosComplement(n) as Buffer)).toBe(n);
      }),
    );
  });

  it('parses and formats decimal text by precision and scale', () => {
    expect(parseDecimal('12.3', 5, 2)).toBe(1230n);
    expect(parseDecimal('-0.05', 5, 2)).toBe(-5n);
    expect(parseDecimal('999.99', 5, 2)).toBe(99999n);
    expect(parseDecimal('1000.00', 5, 2)).toBeUndefined();
    expect(parseDecimal('1.234', 5, 2)).toBeUndefined();
    expect(parseDecimal('1e3', 5, 2)).toBeUndefined();
    expect(parseDecimal('00012', 2, 0)).toBe(12n);
    expect(formatUnscaled(-5n, 2)).toBe('-0.05');
    expect(formatUnscaled(1230n, 2)).toBe('12.30');
    expect(formatUnscaled(7n, 0)).toBe('7');
  });

  it('round-trips decimal values through Avro, bytes and fixed', () => {
    const bytes = schemaFromJson({ type: 'bytes', logicalType: 'decimal', precision: 20, scale: 4 }).type;
    const fixed = schemaFromJson({ type: 'fixed', name: 'D', size: 9, logicalType: 'decimal', precision: 20, scale: 4 }).type;
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n) + 1n, max: 10n ** 20n - 1n }), (unscaled) => {
        const text = formatUnscaled(unscaled, 4);
        expect(bytes.fromBuffer(bytes.toBuffer(text))).toBe(text);
        expect(fixed.fromBuffer(fixed.toBuffer(text))).toBe(text);
      }),
    );
  });

  it('accepts only decimal strings that fit, so unions stay unambiguous', () => {
    const type = schemaFromJson({ type: 'bytes', logicalType: 'decimal', precision: 4, scale: 1 }).type;
    expect(type.isValid('123.4')).toBe(true);
    expect(type.isValid(123.4)).toBe(false);
    expect(type.isValid('12345')).toBe(false);
    expect(type.isValid('1.23')).toBe(false);
    expect(type.isValid(Buffer.from([1]))).toBe(false);
  });

  it('draws random values that encode', () => {
    const type = schemaFromJson({ type: 'bytes', logicalType: 'decimal', precision: 6, scale: 3 }).type;
    for (let i = 0; i < 200; i++) expect(type.isValid(type.random())).toBe(true);
  });
});

describe('timestamp-millis', () => {
  const type = schemaFromJson({ type: 'long', logicalType: 'timestamp-millis' }).type;

  it('takes a Date or integer milliseconds and gives a Date', () => {
    expect(type.fromBuffer(type.toBuffer(new Date(1714564800123)))).toEqual(new Date(1714564800123));
    expect(type.fromBuffer(type.toBuffer(-5))).toEqual(new Date(-5));
  });

  it('refuses strings, fractions and invalid dates', () => {
    expect(type.isValid('2024-01-01')).toBe(false);
    expect(type.isValid(1.5)).toBe(false);
    expect(type.isValid(new Date(Number.NaN))).toBe(false);
  });
});
