import avro, { type Type } from 'avsc';
import { ErrorCodes, SluiceError } from '../core/index.ts';
import { DecimalType, TimestampMillisType, parseDecimal } from './logical-types.ts';
import { describeType } from './avro.ts';
import { describeValue } from './codec-error.ts';

/**
 * Turns a value parsed from JSON (an ndjson line given to `sluice publish`)
 * into one the Avro type accepts, taking what people write:
 *
 * - timestamp-millis: epoch milliseconds or an ISO-8601 string with a zone
 *   (`2024-05-01T12:00:00Z`, `...+02:00`) or a plain date (UTC midnight);
 * - decimal: a number or a string, with no more fraction digits than the scale
 *   (nothing is rounded away);
 * - bytes and fixed: a string of code points 0-255, as in Avro's JSON encoding;
 * - unions: the plain value (the first branch that accepts it), or for
 *   wrapped unions also `{ "branch": value }`.
 *
 * Fields with a default may be left out; fields the schema does not know are
 * an error unless `allowUnknownFields`. Errors are SLUICE_ERR_RECORD_INVALID
 * with the field path (`order.items[2].price`) in the message and context.
 */

export interface CoerceOptions {
  allowUnknownFields?: boolean;
}

export function coerceJsonForSchema(type: Type, value: unknown, options: CoerceOptions = {}): unknown {
  return coerce(type, value, '', options.allowUnknownFields ?? false);
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2}))?$/i;

class CoerceError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`${path === '' ? '(value)' : path}: ${reason}`);
  }
}

function coerce(type: Type, value: unknown, path: string, allowUnknown: boolean): unknown {
  try {
    return coerceAt(type, value, path, allowUnknown);
  } catch (err) {
    if (!(err instanceof CoerceError) || path !== '') throw err;
    throw new SluiceError(ErrorCodes.RECORD_INVALID, `value does not fit ${type.name ?? type.typeName}: ${err.message}`, {
      context: { path: err.path === '' ? '(value)' : err.path },
    });
  }
}

function coerceAt(type: Type, value: unknown, path: string, allowUnknown: boolean): unknown {
  if (type instanceof TimestampMillisType) return toTimestamp(value, path);
  if (type instanceof DecimalType) return toDecimal(type, value, path);
  if (avro.Type.isType(type, 'logical')) return coerceAt((type as avro.types.LogicalType).underlyingType, value, path, allowUnknown);

  switch (type.typeName) {
    case 'null':
      return expect(value === null, value, type, path);
    case 'boolean':
      return expect(typeof value === 'boolean', value, type, path);
    case 'int':
      return expect(Number.isInteger(value) && (value as number) >= -0x80000000 && (value as number) <= 0x7fffffff, value, type, path);
    case 'long':
      return expect(Number.isSafeInteger(value), value, type, path);
    case 'float':
    case 'double':
      return expect(typeof value === 'number', value, type, path);
    case 'string':
      return expect(typeof value === 'string', value, type, path);
    case 'bytes':
      return toBytes(value, undefined, type, path);
    case 'fixed':
      return toBytes(value, (type as avro.types.FixedType).size, type, path);
    case 'enum':
      return expect((type as avro.types.EnumType).symbols.includes(value as string), value, type, path);
    case 'array':
      if (!Array.isArray(value)) throw mismatch(value, type, path);
      return value.map((item, i) => coerceAt((type as avro.types.ArrayType).itemsType, item, `${path}[${i}]`, allowUnknown));
    case 'map':
      return mapValues(value, type, path, (item, key) =>
        coerceAt((type as avro.types.MapType).valuesType as Type, item, join(path, key), allowUnknown),
      );
    case 'record':
    case 'error':
      return toRecord(type as avro.types.RecordType, value, path, allowUnknown);
    case 'union:unwrapped':
      return toUnion(type as avro.types.UnwrappedUnionType, value, path, allowUnknown, false);
    case 'union:wrapped':
      return toUnion(type as avro.types.WrappedUnionType, value, path, allowUnknown, true);
    default:
      throw new CoerceError(path, `unsupported Avro type ${type.typeName}`);
  }
}

function toRecord(type: avro.types.RecordType, value: unknown, path: string, allowUnknown: boolean): unknown {
  if (!isPlainObject(value)) throw mismatch(value, type, path);
  const out: Record<string, unknown> = {};
  for (const field of type.fields) {
    const fieldPath = join(path, field.name);
    if (Object.hasOwn(value, field.name)) {
      out[field.name] = coerceAt(field.type, value[field.name], fieldPath, allowUnknown);
    } else if (field.defaultValue() === undefined) {
      throw new CoerceError(fieldPath, `missing (${describeType(field.type)}, no default)`);
    }
  }
  if (!allowUnknown) {
    for (const key of Object.keys(value)) {
      if (!type.fields.some((field) => field.name === key)) {
        throw new CoerceError(join(path, key), `not a field of ${type.name} (fields: ${type.fields.map((f) => f.name).join(', ')})`);
      }
    }
  }
  return out;
}

function toUnion(
  type: avro.types.UnwrappedUnionType | avro.types.WrappedUnionType,
  value: unknown,
  path: string,
  allowUnknown: boolean,
  wrapped: boolean,
): unknown {
  if (value === null && type.types.some((branch) => branch.typeName === 'null')) return null;
  if (wrapped && isPlainObject(value)) {
    const keys = Object.keys(value);
    const branch = keys.length === 1 ? type.types.find((t) => t.branchName === keys[0]) : undefined;
    if (branch !== undefined) {
      return { [keys[0] as string]: coerceAt(branch, value[keys[0] as string], join(path, keys[0] as string), allowUnknown) };
    }
  }
  const reasons: string[] = [];
  for (const branch of type.types) {
    if (branch.typeName === 'null') continue;
    try {
      const coerced = coerceAt(branch, value, path, allowUnknown);
      return wrapped ? { [branch.branchName as string]: coerced } : coerced;
    } catch (err) {
      if (!(err instanceof CoerceError)) throw err;
      reasons.push(err.message);
    }
  }
  const names = type.types.map((t) => t.branchName).join(' | ');
  throw new CoerceError(path, `${describeValue(value)} matches no branch of ${names} (${reasons.join('; ')})`);
}

function toTimestamp(value: unknown, path: string): Date {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  if (Number.isSafeInteger(value)) return new Date(value as number);
  if (typeof value === 'string' && ISO_TIMESTAMP.test(value)) {
    const time = Date.parse(value);
    if (!Number.isNaN(time)) return new Date(time);
  }
  throw new CoerceError(
    path,
    `${describeValue(value)} is not a timestamp-millis (epoch milliseconds, or ISO-8601 with a zone like 2024-05-01T12:00:00Z)`,
  );
}

function toDecimal(type: DecimalType, value: unknown, path: string): string {
  const text = typeof value === 'number' && Number.isFinite(value) ? plainNumber(value) : value;
  if (typeof text === 'string' && parseDecimal(text, type.precision, type.scale) !== undefined) return text;
  throw new CoerceError(
    path,
    `${describeValue(value)} is not a decimal(${type.precision},${type.scale}): at most ${type.precision} digits, ${type.scale} after the point`,
  );
}

/** A number's shortest round-trip digits, without exponent notation ("1e-7" → "0.0000001"). */
export function plainNumber(n: number): string {
  const text = String(n);
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (match === null) return text;
  const [, sign, lead = '', rest = '', exp = '0'] = match;
  const digits = lead + rest;
  const point = 1 + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

function toBytes(value: unknown, size: number | undefined, type: Type, path: string): Buffer {
  if (typeof value !== 'string' || !/^[\u0000-\u00ff]*$/.test(value)) throw mismatch(value, type, path);
  const bytes = Buffer.from(value, 'latin1');
  if (size !== undefined && bytes.length !== size) throw new CoerceError(path, `${bytes.length} bytes, ${type.name} holds ${size}`);
  return bytes;
}

function mapValues(value: unknown, type: Type, path: string, fn: (item: unknown, key: string) => unknown): Record<string, unknown> {
  if (!isPlainObject(value)) throw mismatch(value, type, path);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = fn(item, key);
  return out;
}

function expect(ok: boolean, value: unknown, type: Type, path: string): unknown {
  if (!ok) throw mismatch(value, type, path);
  return value;
}

function mismatch(value: unknown, type: Type, path: string): CoerceError {
  return new CoerceError(path, `${describeValue(value)} is not ${describeType(type)}`);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function join(path: string, key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? (path === '' ? key : `${path}.${key}`) : `${path}[${JSON.stringify(key)}]`;
}
