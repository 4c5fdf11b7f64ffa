/**
 * Newline-delimited sinks (a file or stdout). By default values that are text
 * or bytes are written as they are, other values as one JSON document per
 * line; a codec sink instead writes each batch as one encoded line. A file is
 * appended to, never truncated here (`mode: overwrite` empties it once, when
 * the run starts: see file-modes.ts), and a record's input counts as done
 * only once its line is on disk (fdatasync): outside Kafka, sinks are
 * at-least-once, and a restart never erases what was acknowledged.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../../core/index.ts';
import type { ErrorChannel } from '../step.ts';
import { BatchSink } from './batch-sink.ts';

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
export type BatchFormatter = (values: readonly unknown[]) => string;

export const jsonLines: BatchFormatter = (values) => {
  let text = '';
  for (let i = 0; i < values.length; i++) text += formatLine(values[i]);
  return text;
};

/** Where a line sink's text goes. */
export interface LineTarget {
  open(): Promise<void>;
  /** Resolves once `text` is durable (a file) or handed on (a stream). */
  append(text: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * A file opened for appending. A last line without its newline can only be
 * the torn end of a write that was never acknowledged (a crash or power loss
 * mid-write): it is ended with a newline, keeping every byte, so the next
 * record starts a line of its own.
 */
export function fileLineTarget(path: string, logger: Logger): LineTarget {
  let handle: FileHandle | undefined;
  return {
    async open() {
      await mkdir(dirname(path), { recursive: true });
      handle = await open(path, 'a+');
      const { size } = await handle.stat();
      if (size === 0) return;
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] === 0x0a) return;
      logger.warn({ file: path, offset: size }, 'the file ends in an incomplete line (a write cut short); ending it with a newline before appending');
      await handle.write('\n');
      await handle.datasync();
    },
    async append(text) {
      await handle!.write(text);
      await handle!.datasync();
    },
    async close() {
      const h = handle;
      handle = undefined;
      await h?.close();
    },
  };
}

/** Standard output (or any stream): written in order, never closed unless asked. */
export function streamLineTarget(out: NodeJS.WritableStream, closeOut: boolean): LineTarget {
  return {
    open: async () => undefined,
    append: (text) => new Promise<void>((resolve, reject) => out.write(text, (err) => (err ? reject(err) : resolve()))),
    close: () => (closeOut ? new Promise<void>((resolve) => out.end(() => resolve())) : Promise.resolve()),
  };
}

export class LineSink extends BatchSink<string> {
  readonly #target: LineTarget;
  readonly #format: BatchFormatter;
  #closed = false;

  constructor(target: LineTarget, onError: ErrorChannel, format: BatchFormatter = jsonLines) {
    super(onError);
    this.#target = target;
    this.#format = format;
  }

  protected open(): Promise<void> {
    return this.#target.open();
  }

  protected format(values: readonly unknown[]): string {
    return this.#format(values);
  }

  protected append(text: string): Promise<void> {
    return this.#target.append(text);
  }

  protected release(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return this.#target.close();
  }
}

export function createFileLineSink(path: string, logger: Logger, onError: ErrorChannel, format?: BatchFormatter): LineSink {
  return new LineSink(fileLineTarget(path, logger), onError, format);
}

export function createStdoutLineSink(onError: ErrorChannel, stdout: NodeJS.WritableStream = process.stdout, format?: BatchFormatter): LineSink {
  return new LineSink(streamLineTarget(stdout, false), onError, format);
}
