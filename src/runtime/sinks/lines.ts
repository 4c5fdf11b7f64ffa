/**
 * Newline-delimited sinks (a file or stdout). Values that are already text or
 * bytes (an encoded chain such as `...|base64`) are written as they are; other
 * values as one JSON document per line. A record's input counts as done once
 * the bytes are handed to the file (outside Kafka, sinks are at-least-once).
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

export class LineSink extends Writable {
  readonly #out: NodeJS.WritableStream;
  readonly #closeOut: boolean;
  written = 0;

  constructor(out: NodeJS.WritableStream, closeOut: boolean) {
    super({ objectMode: true, highWaterMark: 256 });
    this.#out = out;
    this.#closeOut = closeOut;
  }

  override _writev(chunks: Array<{ chunk: Envelope }>, callback: (error?: Error | null) => void): void {
    let text = '';
    for (const { chunk } of chunks) text += formatLine(chunk.record.value);
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

export function createFileLineSink(path: string): LineSink {
  mkdirSync(dirname(path), { recursive: true });
  return new LineSink(createWriteStream(path, { flags: 'w' }), true);
}

export function createStdoutLineSink(stdout: NodeJS.WritableStream = process.stdout): LineSink {
  return new LineSink(stdout, false);
}
