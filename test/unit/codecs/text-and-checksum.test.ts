import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { crc32c, createCodecChain } from '../../../src/codecs/index.ts';
import { codeOf } from './fixtures.ts';

describe('crc32c', () => {
  it('matches the standard check values', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
  });

  it('agrees between the 8-byte fast path and the byte-at-a-time tail', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 64 }), (bytes) => {
        let slow = ~0;
        for (const byte of bytes) {
          slow ^= byte;
          for (let k = 0; k < 8; k++) slow = slow & 1 ? (slow >>> 1) ^ 0x82f63b78 : slow >>> 1;
        }
        expect(crc32c(bytes)).toBe(~slow >>> 0);
      }),
    );
  });

  it('puts the checksum in front and verifies it on decode', () => {
    const chain = createCodecChain('crc32c');
    const framed = chain.encode(Buffer.from('123456789'));
    expect(framed.readUInt32BE(0)).toBe(0xe3069283);
    expect((chain.decode(framed) as Buffer).toString()).toBe('123456789');
    framed[6] = framed[6]! ^ 1;
    expect(codeOf(() => chain.decode(framed))).toBe(ErrorCodes.CHECKSUM_MISMATCH);
    expect(codeOf(() => chain.decode(Buffer.from([1, 2])))).toBe(ErrorCodes.CHECKSUM_MISMATCH);
  });
});

describe('base64 and hex', () => {
  const base64 = createCodecChain('base64');
  const hex = createCodecChain('hex');

  it('round-trip any bytes as plain ASCII text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        const input = Buffer.from(bytes);
        const b64 = base64.encode(input);
        expect(b64.toString('latin1')).toBe(input.toString('base64'));
        expect((base64.decode(b64) as Buffer).equals(input)).toBe(true);
        const hx = hex.encode(input);
        expect(hx.toString('latin1')).toMatch(/^[0-9a-f]*$/);
        expect((hex.decode(hx) as Buffer).equals(input)).toBe(true);
      }),
    );
  });

  it('refuse damaged text instead of skipping characters like Buffer.from does', () => {
    for (const bad of ['QUJD!', 'QUJ', 'QU=D', 'QUJD\n', 'QUJD====']) {
      expect(codeOf(() => base64.decode(Buffer.from(bad))), bad).toBe(ErrorCodes.DECODE_TEXT);
    }
    for (const bad of ['abc', 'zz', '0x12']) expect(codeOf(() => hex.decode(Buffer.from(bad))), bad).toBe(ErrorCodes.DECODE_TEXT);
  });
});
