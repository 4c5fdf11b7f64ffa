/**
 * Newline-delimited sources (a file or stdin): one envelope per non-blank line,
 * value still the raw text so that parsing happens in the decode step, where a
 * bad line is dead-lettered with its file:line instead of ending the source.
 * Lines are split on `\n` (a `\r` before it is dropped) over the bytes, so the
 * source knows the byte offset after every line: a file source can start at a
 * stored offset and give each record a token for the offset after it.
 * Async iteration pulls only as fast as the stage consumes.
 */
import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import type { FileHandle } from 'node:fs/promises';
import type { Envelope } from '../envelope.ts';
import type { Completion } from '../offsets.ts';
import { chunksOf } from './tracked-file.ts';

export interface LineSourceOptions {
  /** Shown in errors and dead-letter headers: the file path, or "stdin". */
  name: string;
  signal?: AbortSignal;
  /** Where reading starts: the byte offset, and the number of the line before it. */
  start?: { next: number; line: number };
  /** A token for the record of line `line`, whose bytes end at `next`. */
  track?: (next: number, line: number) => Completion;
}

interface Line {
  text: string;
  line: number;
  /** Byte offset just after the line and its newline. */
  end: number;
}

function textOf(bytes: Buffer): string {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 0x0d ? bytes.length - 1 : bytes.length;
  return bytes.toString('utf8', 0, end);
}

/** The lines of a byte stream, with their numbers and end offsets, counted from `start`. */
export async function* splitLines(input: AsyncIterable<Buffer | string>, start = { next: 0, line: 0 }): AsyncGenerator<Line> {
  let pos = start.next;
  let line = start.line;
  // The start of a line that spans chunks, kept in parts until its newline comes.
  let pending: Buffer[] = [];
  for await (const piece of input) {
    const chunk = typeof piece === 'string' ? Buffer.from(piece) : piece;
    let from = 0;
    for (let nl = chunk.indexOf(0x0a); nl >= 0; nl = chunk.indexOf(0x0a, from)) {
      const bytes = pending.length === 0 ? chunk.subarray(from, nl) : Buffer.concat([...pending, chunk.subarray(from, nl)]);
      pending = [];
      pos += bytes.length + 1;
      from = nl + 1;
      yield { text: textOf(bytes), line: ++line, end: pos };
    }
    if (from < chunk.length) pending.push(chunk.subarray(from));
  }
  if (pending.length > 0) {
    const bytes = Buffer.concat(pending);
    pos += bytes.length;
    yield { text: textOf(bytes), line: ++line, end: pos };
  }
}

/**
 * The pieces of `input` until `signal` aborts, also while it waits for the next
 * one: an open stdin may never send more, and a graceful stop must not wait for it.
 */
async function* untilAborted<T>(input: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  const pieces = input[Symbol.asyncIterator]();
  const aborted = new Promise<IteratorReturnResult<undefined>>((resolve) => {
    const done = () => resolve({ done: true, value: undefined });
    if (signal.aborted) done();
    else signal.addEventListener('abort', done, { once: true });
  });
  try {
    for (;;) {
      const next = await Promise.race([pieces.next(), aborted]);
      if (next.done === true) return;
      yield next.value;
    }
  } finally {
    // Not awaited: a read still pending on an idle stdin would hold the stop up.
    void pieces.return?.();
  }
}

async function* envelopesOf(input: AsyncIterable<Buffer | string>, options: LineSourceOptions): AsyncGenerator<Envelope> {
  const { name, signal, track } = options;
  for await (const { text, line, end } of splitLines(signal !== undefined ? untilAborted(input, signal) : input, options.start)) {
    // A graceful stop ends the source here; what was already read drains through the stage.
    if (signal?.aborted) break;
    if (text.trim() === '') continue;
    const timestamp = Date.now();
    yield {
      record: { key: null, value: text, headers: {}, timestamp },
      token: track?.(end, line),
      origin: { file: name, line, rawKey: null, rawValue: text, rawHeaders: {}, timestamp },
    };
  }
}

/** The lines of a file (a path, or an open handle that stays open for whoever opened it) from `options.start` on. */
export function createFileLineSource(file: string | FileHandle, options: LineSourceOptions): Readable {
  const start = options.start?.next ?? 0;
  const input = typeof file === 'string' ? createReadStream(file, { start, highWaterMark: 256 * 1024 }) : chunksOf(file, start);
  return Readable.from(envelopesOf(input, options), { objectMode: true, highWaterMark: 256 });
}

export function createStdinLineSource(stdin: NodeJS.ReadableStream = process.stdin, signal?: AbortSignal): Readable {
  return Readable.from(envelopesOf(stdin as AsyncIterable<Buffer | string>, { name: 'stdin', ...(signal !== undefined ? { signal } : {}) }), {
    objectMode: true,
    highWaterMark: 256,
  });
}
