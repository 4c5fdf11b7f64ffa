import { ErrorCodes } from '../core/index.ts';
import { codecError } from './codec-error.ts';
import type { ByteCodec } from './types.ts';

/**
 * Text encodings for sinks that need text: base64 (standard alphabet, padded)
 * and lowercase hex. Encodings, not encryption. Decoding is strict: Node's
 * Buffer.from(..., 'base64') silently skips bad characters, which would turn
 * damage into wrong bytes instead of an error.
 */

const BASE64_CHARS = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64_BAD = /[^A-Za-z0-9+/=]|=(?=[^=])/;
const HEX_CHARS = /^[0-9a-fA-F]*$/;
const HEX_BAD = /[^0-9a-fA-F]/;

function textCodec(name: string, encoding: 'base64' | 'hex', valid: (text: string) => boolean, bad: RegExp): ByteCodec {
  return {
    name,
    encode(bytes) {
      return Buffer.from(bytes.toString(encoding), 'latin1');
    },
    decode(bytes) {
      const text = bytes.toString('latin1');
      if (!valid(text)) {
        const at = text.search(bad);
        const reason = at === -1 ? `length ${text.length} is not a whole number of ${name} units` : `invalid character at offset ${at}`;
        throw codecError(ErrorCodes.DECODE_TEXT, name, `not ${name} text: ${reason}`, undefined, at === -1 ? {} : { byteOffset: at });
      }
      return Buffer.from(text, encoding);
    },
  };
}

export const base64Codec = textCodec('base64', 'base64', (text) => text.length % 4 === 0 && BASE64_CHARS.test(text), BASE64_BAD);
export const hexCodec = textCodec('hex', 'hex', (text) => text.length % 2 === 0 && HEX_CHARS.test(text), HEX_BAD);
