import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { ErrorCodes } from '../core/index.ts';
import { codecError } from './codec-error.ts';
import type { KeyRing } from './keyring.ts';
import type { ByteCodec, CodecContext } from './types.ts';

/**
 * AES-256-GCM, one random 96-bit IV per message. The key id and IV travel with
 * the ciphertext so any holder of the key ring can decrypt after a rotation:
 *
 *     version (1) | key id length (1) | key id | IV (12) | ciphertext | tag (16)
 *
 * The version and key id are authenticated too (GCM additional data), followed
 * by the caller's `aad` when given, so a message cannot be moved to another
 * key id or (with the topic as `aad`) to another topic without failing.
 */

const NAME = 'aes-gcm';
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class AesGcmCodec implements ByteCodec {
  readonly name = NAME;
  private readonly header: Buffer;
  private readonly key: Buffer;

  constructor(private readonly keys: KeyRing) {
    const id = Buffer.from(keys.activeId, 'latin1');
    this.header = Buffer.concat([Buffer.from([VERSION, id.length]), id]);
    this.key = keys.activeKey;
  }

  encode(bytes: Buffer, ctx: CodecContext | undefined): Buffer {
    const header = this.header;
    const ivAt = header.length;
    const bodyAt = ivAt + IV_BYTES;
    const out = Buffer.allocUnsafe(bodyAt + bytes.length + TAG_BYTES);
    header.copy(out, 0);
    randomFillSync(out, ivAt, IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, out.subarray(ivAt, bodyAt));
    cipher.setAAD(header);
    if (ctx?.aad !== undefined) cipher.setAAD(ctx.aad);
    let at = bodyAt + cipher.update(bytes).copy(out, bodyAt);
    at += cipher.final().copy(out, at);
    cipher.getAuthTag().copy(out, at);
    return out;
  }

  decode(bytes: Buffer, ctx: CodecContext | undefined): Buffer {
    if (bytes.length < 2) throw authError(`message of ${bytes.length} bytes is too short`);
    if (bytes[0] !== VERSION) throw authError(`unknown message format version ${bytes[0]}`);
    const headerLength = 2 + (bytes[1] as number);
    const bodyAt = headerLength + IV_BYTES;
    const tagAt = bytes.length - TAG_BYTES;
    if (tagAt < bodyAt) throw authError(`message of ${bytes.length} bytes is too short (truncated?)`);
    const keyId = bytes.toString('latin1', 2, headerLength);
    const key = this.keys.get(keyId);
    if (key === undefined) {
      throw codecError(
        ErrorCodes.KEY_UNKNOWN,
        NAME,
        `message was encrypted with key "${keyId}", which is not in the key ring (known: ${this.keys.ids().join(', ')})`,
        undefined,
        { keyId },
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(headerLength, bodyAt));
    decipher.setAuthTag(bytes.subarray(tagAt));
    decipher.setAAD(bytes.subarray(0, headerLength));
    if (ctx?.aad !== undefined) decipher.setAAD(ctx.aad);
    const plain = decipher.update(bytes.subarray(bodyAt, tagAt));
    try {
      decipher.final();
    } catch (err) {
      throw authError(`authentication failed with key "${keyId}": the message was altered, or the key or additional data differ`, err, keyId);
    }
    return plain;
  }
}

function authError(message: string, cause?: unknown, keyId?: string) {
  return codecError(ErrorCodes.DECRYPT_AUTH, NAME, message, cause, keyId === undefined ? {} : { keyId });
}
