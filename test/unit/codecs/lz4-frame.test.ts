import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, SluiceError } from '../../../src/core/index.ts';
import { decodeLz4Frame, encodeLz4Frame } from '../../../src/codecs/index.ts';
import { codeOf } from './fixtures.ts';

const MiB = 1024 * 1024;

describe('LZ4 frames', () => {
  it('round-trips any bytes, with and without content size and checksum', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 4096 }),
        fc.record({ contentSize: fc.boolean(), contentChecksum: fc.boolean(), blockSize: fc.constantFrom(65536, 4194304) }),
        (bytes, options) => {
          const input = Buffer.from(bytes);
          expect(decodeLz4Frame(encodeLz4Frame(input, options as never), MiB).equals(input)).toBe(true);
        },
      ),
    );
  });

  it('round-trips empty, 1-byte, multi-block and 10 MB inputs', () => {
    const tenMb = Buffer.concat([randomBytes(3 * MiB), Buffer.alloc(7 * MiB, 'sluice ')]);
    for (const input of [Buffer.alloc(0), Buffer.from([7]), randomBytes(200_000), tenMb]) {
      const frame = encodeLz4Frame(input, { blockSize: 65536 });
      expect(decodeLz4Frame(frame, 16 * MiB).equals(input)).toBe(true);
    }
    expect(encodeLz4Frame(tenMb).length).toBeLessThan(tenMb.length / 2);
  });

  it('writes the standard header: magic, version 01, independent blocks, valid header checksum', () => {
    const frame = encodeLz4Frame(Buffer.from('hello'), { contentSize: false, blockSize: 65536 });
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    expect(frame[4]! & 0xc0).toBe(0x40);
    expect(frame[4]! & 0x20).toBe(0x20);
    expect(frame[5]).toBe(4 << 4);
  });

  it('stores incompressible data as raw blocks, so it grows by the framing only', () => {
    const input = randomBytes(100_000);
    expect(encodeLz4Frame(input).length).toBeLessThanOrEqual(input.length + 27);
  });

  it('decodes concatenated frames as one stream', () => {
    const two = Buffer.concat([encodeLz4Frame(Buffer.from('ab')), encodeLz4Frame(Buffer.from('cd'), { contentSize: false })]);
    expect(decodeLz4Frame(two, 100).toString()).toBe('abcd');
  });

  it('reports every truncation as DECOMPRESS', () => {
    const frame = encodeLz4Frame(Buffer.from('a fairly compressible string, '.repeat(40)));
    for (let cut = 0; cut < frame.length; cut++) {
      expect(codeOf(() => decodeLz4Frame(frame.subarray(0, cut), MiB))).toBe(ErrorCodes.DECOMPRESS);
    }
  });

  it('reports any flipped byte as DECOMPRESS, never wrong output', () => {
    const input = Buffer.from('a fairly compressible string, '.repeat(40));
    const frame = encodeLz4Frame(input);
    for (let at = 0; at < frame.length; at++) {
      const damaged = Buffer.from(frame);
      damaged[at] = damaged[at]! ^ 0x20;
      let output: Buffer | undefined;
      try {
        output = decodeLz4Frame(damaged, MiB);
      } catch (err) {
        expect([ErrorCodes.DECOMPRESS, ErrorCodes.DECOMPRESS_LIMIT]).toContain((err as SluiceError).code);
        continue;
      }
      expect(output.equals(input)).toBe(true);
    }
  });

  it('refuses to decompress past the limit, with or without a declared size', () => {
    const bomb = Buffer.alloc(20 * MiB);
    const withSize = encodeLz4Frame(bomb);
    const withoutSize = encodeLz4Frame(bomb, { contentSize: false });
    expect(withSize.length).toBeLessThan(100_000);
    expect(codeOf(() => decodeLz4Frame(withSize, MiB))).toBe(ErrorCodes.DECOMPRESS_LIMIT);
    expect(codeOf(() => decodeLz4Frame(withoutSize, MiB))).toBe(ErrorCodes.DECOMPRESS_LIMIT);
    expect(decodeLz4Frame(withoutSize, 20 * MiB).length).toBe(20 * MiB);
  });

  it('rejects what is not an LZ4 frame', () => {
    expect(codeOf(() => decodeLz4Frame(Buffer.from('not lz4 at all'), MiB))).toBe(ErrorCodes.DECOMPRESS);
    expect(codeOf(() => decodeLz4Frame(Buffer.alloc(0), MiB))).toBe(ErrorCodes.DECOMPRESS);
  });
});
