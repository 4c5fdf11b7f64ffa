import avro, { type Schema, type Type } from 'avsc';

/**
 * Avro logical types sluice gives meaning to. avsc leaves logical types to the
 * application; these follow the Avro spec and stay *tight* (a value either is
 * unambiguously of the type or is rejected), because avsc picks a branch of an
 * unwrapped union by asking each logical branch whether it accepts the value.
 *
 * - timestamp-millis (long): a Date or an integer of epoch milliseconds in,
 *   always a Date out.
 * - decimal (bytes or fixed, with precision and scale): a decimal *string* in
 *   and out ("12.30"), never a JS number, so no value loses precision. Output
 *   always has exactly `scale` fraction digits.
 */

interface DecimalSchema {
  type: string;
  precision?: unknown;
  scale?: unknown;
  size?: number;
}

export class TimestampMillisType extends avro.types.LogicalType {
  protected override _fromValue(value: number): Date {
    return new Date(value);
  }

  protected override _toValue(value: unknown): number | undefined {
    if (value instanceof Date) {
      const time = value.getTime();
      return Number.isNaN(time) ? undefined : time;
    }
    return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
  }

  protected override _resolve(writer: Type): ((value: unknown) => Date) | undefined {
    // A writer's timestamp-millis already reads as a Date; a plain long or int is promoted.
    if (avro.Type.isType(writer, 'logical:timestamp-millis')) return (value) => value as Date;
    if (avro.Type.isType(writer, 'long', 'int')) return (value) => new Date(value as number);
    return undefined;
  }
}

const DECIMAL_TEXT = /^([+-]?)(\d+)(?:\.(\d+))?$/;

export class DecimalType extends avro.types.LogicalType {
  readonly precision: number;
  readonly scale: number;
  /** Byte width for `fixed`, undefined for variable-length `bytes`. */
  readonly size: number | undefined;

  constructor(schema: Schema, opts?: unknown) {
    super(schema, opts);
    const attrs = schema as DecimalSchema;
    const precision = attrs.precision;
    const scale = attrs.scale ?? 0;
    if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1) {
      throw new Error(`decimal: precision must be a positive integer, got ${JSON.stringify(precision)}`);
    }
    if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision) {
      throw new Error(`decimal: scale must be an integer from 0 to precision (${precision}), got ${JSON.stringify(scale)}`);
    }
    const underlying = this.underlyingType;
    if (avro.Type.isType(underlying, 'fixed')) {
      this.size = (underlying as Type & { size: number }).size;
      const maxDigits = Math.floor(Math.log10(2) * (8 * this.size - 1));
      if (precision > maxDigits) {
        throw new Error(`decimal: precision ${precision} does not fit in fixed(${this.size}) (at most ${maxDigits} digits)`);
      }
    } else if (avro.Type.isType(underlying, 'bytes')) {
      this.size = undefined;
    } else {
      throw new Error(`decimal: underlying type must be bytes or fixed, got ${underlying.typeName}`);
    }
    this.precision = precision;
    this.scale = scale;
  }

  protected override _fromValue(bytes: Buffer): string {
    return formatUnscaled(fromTwosComplement(bytes), this.scale);
  }

  protected override _toValue(value: unknown): Buffer | undefined {
    if (typeof value !== 'string') return undefined;
    const unscaled = parseDecimal(value, this.precision, this.scale);
    return unscaled === undefined ? undefined : toTwosComplement(unscaled, this.size);
  }

  protected override _resolve(writer: Type): ((value: unknown) => string) | undefined {
    // Avro: two decimals match only when precision and scale both match.
    if (writer instanceof DecimalType && writer.precision === this.precision && writer.scale === this.scale) {
      return (value) => value as string;
    }
    return undefined;
  }

  /**
   * avsc's default (random bytes) would break the precision; this draws valid
   * digits. The cast is for avsc's typings, which declare random() as
   * returning a type instead of a value.
   */
  override random(): avro.types.LogicalType {
    const digits = 1 + Math.floor(Math.random() * this.precision);
    let unscaled = BigInt(Math.floor(Math.random() * 9) + 1);
    for (let i = 1; i < digits; i++) unscaled = unscaled * 10n + BigInt(Math.floor(Math.random() * 10));
    return formatUnscaled(Math.random() < 0.5 ? -unscaled : unscaled, this.scale) as unknown as avro.types.LogicalType;
  }

  protected override _export(schema: Schema): void {
    const attrs = schema as DecimalSchema;
    attrs.precision = this.precision;
    attrs.scale = this.scale;
  }
}

export const logicalTypes = {
  'timestamp-millis': TimestampMillisType,
  decimal: DecimalType,
};

/** The unscaled integer of a decimal string, or undefined if it has too many digits for precision/scale. */
export function parseDecimal(text: string, precision: number, scale: number): bigint | undefined {
  const match = DECIMAL_TEXT.exec(text);
  if (match === null) return undefined;
  const [, sign, whole = '', fraction = ''] = match;
  if (fraction.length > scale) return undefined;
  const digits = (whole + fraction.padEnd(scale, '0')).replace(/^0+(?=\d)/, '');
  if (digits.length > precision) return undefined;
  const unscaled = BigInt(digits);
  return sign === '-' ? -unscaled : unscaled;
}

export function formatUnscaled(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return negative ? `-${text}` : text;
}

/** Big-endian two's complement, minimal length for `bytes`, sign-extended to `size` for `fixed`. */
export function toTwosComplement(value: bigint, size?: number): Buffer | undefined {
  let length = 1;
  while (value < -(1n << BigInt(8 * length - 1)) || value >= 1n << BigInt(8 * length - 1)) length++;
  if (size !== undefined) {
    if (length > size) return undefined;
    length = size;
  }
  const bits = BigInt(8 * length);
  const unsigned = value < 0n ? (1n << bits) + value : value;
  return Buffer.from(unsigned.toString(16).padStart(2 * length, '0'), 'hex');
}

export function fromTwosComplement(bytes: Buffer): bigint {
  if (bytes.length === 0) return 0n;
  const unsigned = BigInt(`0x${bytes.toString('hex')}`);
  const negative = (bytes[0] ?? 0) >= 0x80;
  return negative ? unsigned - (1n << BigInt(8 * bytes.length)) : unsigned;
}
