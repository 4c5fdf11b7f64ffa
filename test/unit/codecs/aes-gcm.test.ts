import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCodes } from '../../../src/core/index.ts';
import { KeyRing, createCodecChain } from '../../../src/codecs/index.ts';
import { testKeys, errorOf } from './fixtures.ts';

describe('aes-gcm', () => {
  const keys = testKeys('k1');
  const chain = createCodecChain('aes-gcm', { keys });

  it('round-trips any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const input = Buffer.from(bytes);
        expect((chain.decode(chain.encode(input)) as Buffer).equals(input)).toBe(true);
      }),
    );
  });

  it('carries the key id and a fresh 96-bit IV in every message', () => {
    const plain = Buffer.from('same plaintext');
    const a = chain.encode(plain);
    const b = chain.encode(plain);
    expect(a.subarray(2, 4).toString('latin1')).toBe('k1');
    expect(a.length).toBe(1 + 1 + 2 + 12 + plain.length + 16);
    expect(a.subarray(4, 16).equals(b.subarray(4, 16))).toBe(false);
    expect(a.includes(plain)).toBe(false);
  });

  it('fails authentication when any byte is altered', () => {
    const message = chain.encode(Buffer.from('pay 100 to alice'));
    for (let at = 0; at < message.length; at++) {
      const damaged = Buffer.from(message);
      damaged[at] = damaged[at]! ^ 0x01;
      const error = errorOf(() => chain.decode(damaged));
      // Altering the key id names a key the ring does not hold; anything else fails the tag.
      expect([ErrorCodes.DECRYPT_AUTH, ErrorCodes.KEY_UNKNOWN]).toContain(error.code);
      expect(error.context.codec).toBe('aes-gcm');
    }
    expect(errorOf(() => chain.decode(message.subarray(0, message.length - 1))).code).toBe(ErrorCodes.DECRYPT_AUTH);
    expect(errorOf(() => chain.decode(Buffer.alloc(0))).code).toBe(ErrorCodes.DECRYPT_AUTH);
  });

  it('names an unknown key id as KEY_UNKNOWN, and the wrong key material as DECRYPT_AUTH', () => {
    const message = chain.encode(Buffer.from('secret'));
    const stranger = createCodecChain('aes-gcm', { keys: testKeys('k9') });
    const unknown = errorOf(() => stranger.decode(message));
    expect(unknown.code).toBe(ErrorCodes.KEY_UNKNOWN);
    expect(unknown.message).toContain('"k1"');
    const impostor = createCodecChain('aes-gcm', { keys: testKeys('k1') });
    expect(errorOf(() => impostor.decode(message)).code).toBe(ErrorCodes.DECRYPT_AUTH);
  });

  it('decrypts with any key of the ring after a rotation, encrypting with the first', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = createCodecChain('aes-gcm', { keys: new KeyRing([['2024', oldKey]]) });
    const after = createCodecChain('aes-gcm', { keys: new KeyRing([['2025', newKey], ['2024', oldKey]]) });
    const oldMessage = before.encode(Buffer.from('old'));
    const newMessage = after.encode(Buffer.from('new'));
    expect((after.decode(oldMessage) as Buffer).toString()).toBe('old');
    expect(newMessage.subarray(2, 6).toString()).toBe('2025');
    expect(errorOf(() => before.decode(newMessage)).code).toBe(ErrorCodes.KEY_UNKNOWN);
  });

  it('binds the caller\'s additional data: decode must pass the same', () => {
    const message = chain.encode(Buffer.from('for topic orders'), { aad: Buffer.from('orders') });
    expect((chain.decode(message, { aad: Buffer.from('orders') }) as Buffer).toString()).toBe('for topic orders');
    expect(errorOf(() => chain.decode(message, { aad: Buffer.from('payments') })).code).toBe(ErrorCodes.DECRYPT_AUTH);
    expect(errorOf(() => chain.decode(message)).code).toBe(ErrorCodes.DECRYPT_AUTH);
  });

  it('needs keys when the chain is built', () => {
    expect(errorOf(() => createCodecChain('json|aes-gcm')).code).toBe(ErrorCodes.CONFIG_INVALID);
  });
});
