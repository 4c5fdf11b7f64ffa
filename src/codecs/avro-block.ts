import type { Resolver, Type } from 'avsc';
import { ErrorCodes, toSluiceError } from '../core/index.ts';
import { codecError } from './codec-error.ts';
import type { InvalidValueHandler } from './types.ts';

/**
 * Batch framing for Avro-encoded values: a record count (Avro long) and the
 * records back to back, like an Avro container block without its sync marker.
 * Values are encoded into one buffer that grows and is reused, so a batch costs
 * one allocation, not one per record.
 */

/** Room kept in front of the records for the count (≤ 10 bytes) and a wire prefix. */
const FRONT = 32;

export class BlockWriter {
  private buffer = Buffer.allocUnsafe(64 * 1024);

  /** Writes `value` at `pos`, growing the buffer as needed; returns the new position. */
  write(type: Type, value: unknown, pos: number): number {
    for (;;) {
      const next = type.encode(value, this.buffer, pos);
      if (next >= 0) return next;
      // avsc returns (buffer length - needed end), i.e. minus the bytes missing.
      this.grow(this.buffer.length - next);
    }
  }

  /** A copy of what was written up to `end`, with `prefix` (if any) written over its start. */
  copyOut(prefix: Buffer | undefined, end: number): Buffer {
    return Buffer.from(this.view(prefix, end));
  }

  /** What was written up to `end`, with `prefix` written over its start, in place: valid until the next write. */
  view(prefix: Buffer | undefined, end: number): Buffer {
    prefix?.copy(this.buffer, 0);
    return this.buffer.subarray(0, end);
  }

  /**
   * Frames `values` (after `prefix`, e.g. a Confluent header) into a new
   * buffer. A value that will not encode goes to `onInvalid` and is left out;
   * without `onInvalid` it throws.
   */
  encodeBatch(
    type: Type,
    values: readonly unknown[],
    prefix: Buffer | undefined,
    onInvalid: InvalidValueHandler | undefined,
    invalid: (value: unknown, cause: unknown) => Error,
  ): Buffer {
    let pos = FRONT;
    let count = 0;
    for (let i = 0; i < values.length; i++) {
      try {
        pos = this.write(type, values[i], pos);
        count++;
      } catch (err) {
        const error = toSluiceError(invalid(values[i], err), ErrorCodes.SERIALIZE, { index: i });
        if (onInvalid === undefined) throw error;
        onInvalid(error, i);
      }
    }
    const countLength = varintLength(2 * count);
    const start = FRONT - countLength - (prefix?.length ?? 0);
    writeVarint(this.buffer, 2 * count, FRONT - countLength);
    prefix?.copy(this.buffer, start);
    return Buffer.from(this.buffer.subarray(start, pos));
  }

  private grow(needed: number): void {
    const next = Buffer.allocUnsafe(Math.max(needed, 2 * this.buffer.length));
    this.buffer.copy(next);
    this.buffer = next;
  }
}

/** Reads a batch framed by `BlockWriter.encodeBatch`, starting at `start`. */
export function decodeBlock(
  reader: Type,
  resolver: Resolver | undefined,
  bytes: Buffer,
  start: number,
  maxRecords: number,
  codec: string,
): unknown[] {
  const header = readVarint(bytes, start);
  if (header === undefined) throw codecError(ErrorCodes.DESERIALIZE, codec, 'batch is truncated before its record count');
  const count = header.value / 2;
  if (!Number.isInteger(count) || count < 0) {
    throw codecError(ErrorCodes.DESERIALIZE, codec, `batch declares an invalid record count`);
  }
  if (count > maxRecords) {
    throw codecError(ErrorCodes.DESERIALIZE, codec, `batch declares ${count} records, more than the limit of ${maxRecords}`);
  }
  const values = new Array<unknown>(count);
  let pos = header.next;
  for (let i = 0; i < count; i++) {
    let decoded: { value: unknown; offset: number };
    try {
      decoded = reader.decode(bytes, pos, resolver);
    } catch (err) {
      throw codecError(ErrorCodes.DESERIALIZE, codec, `record #${i} of the batch: ${(err as Error).message}`, err, { index: i });
    }
    if (decoded.offset < 0) {
      throw codecError(ErrorCodes.DESERIALIZE, codec, `batch is truncated in record #${i} of ${count}`, undefined, { index: i });
    }
    values[i] = decoded.value;
    pos = decoded.offset;
  }
  if (pos !== bytes.length) {
    throw codecError(ErrorCodes.DESERIALIZE, codec, `${bytes.length - pos} bytes left over after ${count} records`);
  }
  return values;
}

function varintLength(n: number): number {
  let length = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    length++;
  }
  return length;
}

/** Unsigned LEB128 (an Avro long is this over the zigzag value); `n` is a non-negative safe integer. */
function writeVarint(buffer: Buffer, n: number, pos: number): void {
  while (n >= 0x80) {
    buffer[pos++] = (n % 128) | 0x80;
    n = Math.floor(n / 128);
  }
  buffer[pos] = n;
}

function readVarint(bytes: Buffer, pos: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < bytes.length && i < pos + 8; i++) {
    const byte = bytes[i] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return { value, next: i + 1 };
    scale *= 128;
  }
  return undefined;
}
