import lz4 from 'lz4';
import { ErrorCodes, SluiceError } from '../core/index.ts';

/**
 * The standard LZ4 frame format (lz4_Frame_format.md), written here over the
 * `lz4` package's native block functions and xxHash32. The package's own frame
 * functions run a Transform stream per call, cannot bound the output and
 * report damage as stream events; this is one synchronous pass that checks
 * every length before it trusts it.
 *
 * Written frames: independent blocks, content checksum, optional content size.
 * Read frames: anything the reference `lz4` tool writes by default, one or
 * several concatenated, with or without block/content checksums and content
 * size. Not read: linked blocks across a block boundary (`lz4 -BD` over
 * more than one block), preset dictionaries, the legacy format.
 */

const MAGIC = 0x184d2204;
const LEGACY_MAGIC = 0x184c2102;
const UNCOMPRESSED_BIT = 0x80000000;
const FLG_VERSION = 0x40;
const FLG_INDEPENDENT = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_DICT_ID = 0x01;
const BLOCK_SIZES = [65536, 262144, 1048576, 4194304] as const;

export type Lz4BlockSize = (typeof BLOCK_SIZES)[number];

export interface Lz4FrameOptions {
  /** Largest uncompressed block; Kafka's Java client writes 64 KiB. Default 4 MiB. */
  blockSize?: Lz4BlockSize;
  /** Write the content size in the header (lets a reader allocate once). Default true. */
  contentSize?: boolean;
  /** Append an xxHash32 of the content. Default true. */
  contentChecksum?: boolean;
}

/** Above this a frame gets its own output buffer instead of the reused one. */
const SCRATCH_MAX = 8 * 1024 * 1024;
let scratch = Buffer.allocUnsafe(64 * 1024);

function scratchOf(size: number): Buffer {
  if (size > SCRATCH_MAX) return Buffer.allocUnsafe(size);
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, scratch.length * 2));
  return scratch;
}

function xxh32(data: Buffer): number {
  return lz4.utils.blockChecksum(data) >>> 0;
}

export function encodeLz4Frame(input: Buffer, options: Lz4FrameOptions = {}): Buffer {
  const blockSize = options.blockSize ?? 4194304;
  const withSize = options.contentSize ?? true;
  const withChecksum = options.contentChecksum ?? true;
  const blockSizeId = BLOCK_SIZES.indexOf(blockSize) + 4;
  if (blockSizeId < 4) throw new RangeError(`LZ4 block size must be one of ${BLOCK_SIZES.join(', ')}`);

  const fullBlocks = Math.floor(input.length / blockSize);
  const rest = input.length - fullBlocks * blockSize;
  const headerLength = withSize ? 15 : 7;
  const capacity =
    headerLength +
    fullBlocks * (4 + lz4.encodeBound(blockSize)) +
    (rest > 0 ? 4 + lz4.encodeBound(rest) : 0) +
    4 +
    (withChecksum ? 4 : 0);
  const out = scratchOf(capacity);

  out.writeUInt32LE(MAGIC, 0);
  out[4] = FLG_VERSION | FLG_INDEPENDENT | (withSize ? FLG_CONTENT_SIZE : 0) | (withChecksum ? FLG_CONTENT_CHECKSUM : 0);
  out[5] = blockSizeId << 4;
  if (withSize) {
    out.writeUInt32LE(input.length >>> 0, 6);
    out.writeUInt32LE(Math.floor(input.length / 0x100000000), 10);
  }
  out[headerLength - 1] = (xxh32(out.subarray(4, headerLength - 1)) >>> 8) & 0xff;

  let pos = headerLength;
  for (let start = 0; start < input.length; start += blockSize) {
    const block = input.subarray(start, Math.min(start + blockSize, input.length));
    const room = out.subarray(pos + 4, pos + 4 + lz4.encodeBound(block.length));
    const compressed = lz4.encodeBlock(block, room);
    if (compressed > 0 && compressed < block.length) {
      out.writeUInt32LE(compressed, pos);
      pos += 4 + compressed;
    } else {
      // Incompressible: the frame format stores such a block as is.
      out.writeUInt32LE((UNCOMPRESSED_BIT | block.length) >>> 0, pos);
      block.copy(out, pos + 4);
      pos += 4 + block.length;
    }
  }
  out.writeUInt32LE(0, pos);
  pos += 4;
  if (withChecksum) {
    out.writeUInt32LE(xxh32(input), pos);
    pos += 4;
  }
  return out === scratch ? Buffer.from(out.subarray(0, pos)) : out.subarray(0, pos);
}

/**
 * Decodes one or more concatenated frames. Throws SLUICE_ERR_DECOMPRESS for
 * anything malformed or truncated and SLUICE_ERR_DECOMPRESS_LIMIT as soon as
 * the output would pass `maxOutput` bytes (a declared content size is checked
 * before anything is decompressed; otherwise at most one block past the limit
 * is ever held).
 */
export function decodeLz4Frame(input: Buffer, maxOutput: number): Buffer {
  const reader = new FrameReader(input, maxOutput);
  do reader.frame();
  while (reader.pos < input.length);
  return reader.output();
}

class FrameReader {
  pos = 0;
  private total = 0;
  private readonly chunks: Buffer[] = [];

  constructor(
    private readonly input: Buffer,
    private readonly maxOutput: number,
  ) {}

  output(): Buffer {
    return this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.total);
  }

  frame(): void {
    const input = this.input;
    const start = this.pos;
    this.need(7, 'frame header');
    const magic = input.readUInt32LE(start);
    if (magic === LEGACY_MAGIC) throw this.fail('legacy LZ4 format (lz4 -l) is not supported', start);
    if (magic !== MAGIC) throw this.fail(`not an LZ4 frame (magic 0x${magic.toString(16).padStart(8, '0')})`, start);
    const flg = input[start + 4] as number;
    const bd = input[start + 5] as number;
    if ((flg & 0xc0) !== FLG_VERSION) throw this.fail(`unsupported LZ4 frame version ${flg >>> 6}`, start + 4);
    if ((flg & 0x02) !== 0 || (bd & 0x8f) !== 0) throw this.fail('reserved LZ4 header bits are set', start + 4);
    if ((flg & FLG_DICT_ID) !== 0) throw this.fail('LZ4 frames with a preset dictionary are not supported', start + 4);
    const blockMax = BLOCK_SIZES[((bd >>> 4) & 0x07) - 4];
    if (blockMax === undefined) throw this.fail(`invalid LZ4 block size id ${(bd >>> 4) & 0x07}`, start + 5);
    const headerLength = flg & FLG_CONTENT_SIZE ? 15 : 7;
    this.need(headerLength, 'frame header');
    const checksum = (xxh32(input.subarray(start + 4, start + headerLength - 1)) >>> 8) & 0xff;
    if (checksum !== input[start + headerLength - 1]) throw this.fail('LZ4 frame header checksum mismatch', start);

    let declared: number | undefined;
    let target: Buffer | undefined;
    if (flg & FLG_CONTENT_SIZE) {
      declared = input.readUInt32LE(start + 6) + input.readUInt32LE(start + 10) * 0x100000000;
      this.checkLimit(declared);
      target = Buffer.allocUnsafe(declared);
    }
    this.pos = start + headerLength;

    const contentStart = this.total;
    let written = 0;
    for (let blockIndex = 0; ; blockIndex++) {
      this.need(4, 'block size');
      const word = input.readUInt32LE(this.pos);
      this.pos += 4;
      if (word === 0) break;
      const raw = (word & UNCOMPRESSED_BIT) !== 0;
      const size = word & 0x7fffffff;
      if (size > blockMax) throw this.fail(`LZ4 block of ${size} bytes exceeds the frame's ${blockMax}`, this.pos - 4);
      this.need(size + (flg & FLG_BLOCK_CHECKSUM ? 4 : 0), 'block');
      const data = input.subarray(this.pos, this.pos + size);
      this.pos += size;
      if (flg & FLG_BLOCK_CHECKSUM) {
        if (xxh32(data) !== input.readUInt32LE(this.pos)) throw this.fail('LZ4 block checksum mismatch', this.pos);
        this.pos += 4;
      }
      if (!(flg & FLG_INDEPENDENT) && blockIndex > 0) {
        throw this.fail('LZ4 frames with linked blocks (lz4 -BD) are not supported past the first block', this.pos);
      }
      written += target === undefined ? this.blockToChunk(data, raw, blockMax) : this.blockInto(data, raw, target, written);
    }
    if (declared !== undefined && written !== declared) {
      throw this.fail(`LZ4 frame declares ${declared} bytes of content, its blocks hold ${written}`, this.pos);
    }
    if (target !== undefined) {
      this.chunks.push(target);
      this.total += written;
    }
    if (flg & FLG_CONTENT_CHECKSUM) {
      this.need(4, 'content checksum');
      const content =
        contentStart === 0 && this.chunks.length <= 1 ? this.output() : Buffer.concat(this.chunks).subarray(contentStart);
      if (xxh32(content) !== input.readUInt32LE(this.pos)) throw this.fail('LZ4 content checksum mismatch', this.pos);
      this.pos += 4;
    }
  }

  /** Content size known: decompress straight into the frame's output. */
  private blockInto(data: Buffer, raw: boolean, target: Buffer, at: number): number {
    const room = target.subarray(at);
    if (raw) {
      if (data.length > room.length) throw this.fail('LZ4 block overruns the declared content size', this.pos);
      data.copy(room);
      return data.length;
    }
    const n = lz4.decodeBlock(data, room);
    if (n < 0) throw this.fail('corrupt LZ4 block (or larger than the declared content size)', this.pos);
    return n;
  }

  /** Content size unknown: decompress into the reused buffer, keep a copy. */
  private blockToChunk(data: Buffer, raw: boolean, blockMax: number): number {
    let block: Buffer;
    if (raw) {
      block = data;
    } else {
      const room = scratchOf(blockMax);
      const n = lz4.decodeBlock(data, room.subarray(0, blockMax));
      if (n < 0) throw this.fail('corrupt LZ4 block', this.pos);
      block = room.subarray(0, n);
    }
    this.checkLimit(block.length);
    this.chunks.push(Buffer.from(block));
    this.total += block.length;
    return block.length;
  }

  private checkLimit(more: number): void {
    if (this.total + more > this.maxOutput) {
      throw new SluiceError(
        ErrorCodes.DECOMPRESS_LIMIT,
        `LZ4 data decompresses to more than the limit of ${this.maxOutput} bytes`,
        { context: { codec: 'lz4', limit: this.maxOutput } },
      );
    }
  }

  private need(bytes: number, what: string): void {
    if (this.pos + bytes > this.input.length) {
      throw this.fail(`truncated LZ4 frame: ${what} needs ${bytes} bytes, ${this.input.length - this.pos} left`, this.pos);
    }
  }

  private fail(message: string, byteOffset: number): SluiceError {
    return new SluiceError(ErrorCodes.DECOMPRESS, message, { context: { codec: 'lz4', byteOffset } });
  }
}
