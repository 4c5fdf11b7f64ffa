/**
 * Newline-delimited sources (a file or stdin): one envelope per non-blank line,
 * value still the raw text so that parsing happens in the decode step, where a
 * bad line is dead-lettered with its file:line instead of ending the source.
 * Async iteration over readline pulls only as fast as the stage consumes.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { Envelope } from '../envelope.ts';

export interface LineSourceOptions {
  /** Shown in errors and dead-letter headers: the file path, or "stdin". */
  name: string;
  signal?: AbortSignal;
}

async function* envelopesOf(input: NodeJS.ReadableStream, name: string, signal: AbortSignal | undefined): AsyncGenerator<Envelope> {
  const lines = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    // A graceful stop ends the source here; what was already read drains through the stage.
    if (signal?.aborted) break;
    line++;
    if (text.trim() === '') continue;
    const timestamp = Date.now();
    yield {
      record: { key: null, value: text, headers: {}, timestamp },
      token: undefined,
      origin: { file: name, line, rawKey: null, rawValue: text, rawHeaders: {}, timestamp },
    };
  }
}

export function createFileLineSource(path: string, options: Partial<LineSourceOptions> = {}): Readable {
  const input = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  return Readable.from(envelopesOf(input, options.name ?? path, options.signal), { objectMode: true, highWaterMark: 256 });
}

export function createStdinLineSource(stdin: NodeJS.ReadableStream = process.stdin, signal?: AbortSignal): Readable {
  return Readable.from(envelopesOf(stdin, 'stdin', signal), { objectMode: true, highWaterMark: 256 });
}
