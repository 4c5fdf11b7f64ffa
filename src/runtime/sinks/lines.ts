/**
 * Newline-delimited sinks (a file or stdout). By default values that are text
 * or bytes are written as they are, other values as one JSON document per
 * line; a codec sink instead writes each batch as one encoded line. A record's
 * input counts as done once the bytes are handed to the file (outside Kafka,
 * sinks are at-least-once).
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Writable } from 'node:stream';
import type { Envelope } from '../envelope.ts';

export function formatLine(value: unknown): string {
  if (typeof value === 'string') return value + '\n';
  if (Buffer.isBuffer(value)) return value.toString('utf8') + '\n';
  return JSON.stringify(value, jsonReplacer) + '\n';
}

/** Keeps Avro's JS values printable: bigints as numbers-as-text, bytes as base64. */
function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString('base64');
  }
  return value;
}

/** Turns a batch of values into the text to append (one or more whole lines). */
export type BatchFormatter = (values: unknown[]) => string;

export const jsonLines: BatchFormatter = (values) => {
  let text = '';
  for (let i = 0; i < values.length; i++) text += formatLine(values[i]);
  return text;
};

export class LineSink extends Writable {
  readonly #out: NodeJS.WritableStream;
  readonly #closeOut: boolean;
  readonly #format: BatchFormatter;
  written = 0;

  constructor(out: NodeJS.WritableStream, closeOut: boolean, format: BatchFormatter = jsonLines) {
    super({ objectMode: true, highWaterMark: 256 });
    this.#out = out;
    this.#closeOut = closeOut;
    this.#format = format;
  }

  override _writev(chunks: Array<{ chunk: Envelope }>, callback: (error?: Error | null) => void): void {
    let text: string;
    try {
      text = this.#format(chunks.map((c) => c.chunk.record.value));
    } catch (err) {
      callback(err as Error);
      return;
    }
    this.#out.write(text, (err) => {
      if (err) return callback(err);
      for (const { chunk } of chunks) chunk.token?.done();
      this.written += chunks.length;
      callback();
    });
  }

  override _write(chunk: Envelope, enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this._writev([{ chunk }], callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.#closeOut) return callback();
    this.#out.end(() => callback());
  }
}

export function createFileLineSink(path: string, format?: BatchFormatter): LineSink {
  mkdirSync(dirname(path), { recursive: true });
  return new LineSink(createWriteStream(path, { flags: 'w' }), true, format);
}

export function createStdoutLineSink(stdout: NodeJS.WritableStream = process.stdout, format?: BatchFormatter): LineSink {
  return new LineSink(stdout, false, format);
}
