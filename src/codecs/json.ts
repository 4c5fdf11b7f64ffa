import { ErrorCodes, type SluiceError } from '../core/index.ts';
import { codecError } from './codec-error.ts';
import { jsonErrorOffset, positionAt } from './json-position.ts';
import type { CodecContext, InvalidValueHandler, Serializer } from './types.ts';

/**
 * `json` serializer: one UTF-8 JSON document per record; a batch is
 * newline-delimited JSON (one document per line, each line ending in "\n"),
 * which JSON.stringify can always produce because it escapes newlines.
 */

const NAME = 'json';
const utf8 = new TextDecoder('utf-8', { fatal: true });

function stringify(value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw codecError(ErrorCodes.SERIALIZE, NAME, `value cannot be written as JSON: ${(err as Error).message}`, err);
  }
  if (text === undefined) throw codecError(ErrorCodes.SERIALIZE, NAME, `${typeof value} cannot be written as JSON`);
  return text;
}

function decodeText(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch (err) {
    throw codecError(ErrorCodes.DESERIALIZE, NAME, 'bytes are not valid UTF-8', err);
  }
}

function parse(text: string, index?: number, line?: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const offset = jsonErrorOffset(text);
    const at = offset === undefined ? undefined : positionAt(text, offset);
    const where = line === undefined ? (at === undefined ? '' : ` at ${at.line}:${at.column}`) : ` on line ${line}`;
    throw codecError(ErrorCodes.DESERIALIZE, NAME, `malformed JSON${where}: ${(err as Error).message}`, err, {
      ...(index === undefined ? {} : { index }),
      ...(line === undefined ? (at === undefined ? {} : { line: at.line, column: at.column }) : { line, column: at?.column }),
    });
  }
}

export const jsonSerializer: Serializer = {
  name: NAME,
  headers: Object.freeze({}),
  encode(value) {
    return Buffer.from(stringify(value), 'utf8');
  },
  decode(bytes) {
    return parse(decodeText(bytes));
  },
  encodeBatch(values: readonly unknown[], onInvalid: InvalidValueHandler | undefined) {
    let text = '';
    for (let i = 0; i < values.length; i++) {
      try {
        text += `${stringify(values[i])}\n`;
      } catch (err) {
        const error = (err as SluiceError).withContext({ index: i });
        if (onInvalid === undefined) throw error;
        onInvalid(error, i);
      }
    }
    return Buffer.from(text, 'utf8');
  },
  decodeBatch(bytes: Buffer, _ctx: CodecContext | undefined) {
    const lines = decodeText(bytes).split('\n');
    const values: unknown[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string;
      if (line.trim() === '') continue;
      values.push(parse(line, values.length, i + 1));
    }
    return values;
  },
};
