import { ErrorCodes } from '../core/index.ts';
import { codecError } from './codec-error.ts';
import type { ByteCodec } from './types.ts';

/**
 * CRC32C (Castagnoli, the checksum Kafka record batches use), computed
 * slicing-by-8 in plain JS: Node 20 has no built-in CRC32C.
 */

const POLY = 0x82f63b78;
const TABLES = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  TABLES[n] = c;
}
for (let n = 0; n < 256; n++) {
  for (let t = 1; t < 8; t++) {
    const prev = TABLES[(t - 1) * 256 + n] as number;
    TABLES[t * 256 + n] = (prev >>> 8) ^ (TABLES[prev & 0xff] as number);
  }
}

export function crc32c(data: Uint8Array): number {
  const T = TABLES;
  let crc = ~0;
  let i = 0;
  const end8 = data.length - (data.length % 8);
  for (; i < end8; i += 8) {
    crc ^= (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
    crc =
      (T[1792 + (crc & 0xff)] as number) ^
      (T[1536 + ((crc >>> 8) & 0xff)] as number) ^
      (T[1280 + ((crc >>> 16) & 0xff)] as number) ^
      (T[1024 + (crc >>> 24)] as number) ^
      (T[768 + (data[i + 4] as number)] as number) ^
      (T[512 + (data[i + 5] as number)] as number) ^
      (T[256 + (data[i + 6] as number)] as number) ^
      (T[data[i + 7] as number] as number);
  }
  for (; i < data.length; i++) crc = (T[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** `crc32c` step: a 4-byte big-endian CRC32C of the payload in front of it, verified on decode. */
export const crc32cCodec: ByteCodec = {
  name: 'crc32c',
  encode(bytes) {
    const out = Buffer.allocUnsafe(bytes.length + 4);
    out.writeUInt32BE(crc32c(bytes), 0);
    bytes.copy(out, 4);
    return out;
  },
  decode(bytes) {
    if (bytes.length < 4) {
      throw codecError(ErrorCodes.CHECKSUM_MISMATCH, 'crc32c', `${bytes.length} bytes is too short to hold a checksum`);
    }
    const payload = bytes.subarray(4);
    const expected = bytes.readUInt32BE(0);
    const actual = crc32c(payload);
    if (actual !== expected) {
      throw codecError(
        ErrorCodes.CHECKSUM_MISMATCH,
        'crc32c',
        `checksum mismatch: payload has ${hex32(actual)}, header says ${hex32(expected)}`,
      );
    }
    return payload;
  },
};

function hex32(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
