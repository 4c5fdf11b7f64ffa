/**
 * What the file-like sinks (line files, stdout, Avro container files) share:
 * each batch the stream hands over (`_writev`) is formatted, appended and made
 * durable at once, and only then are its records' tokens told `done()`, so
 * an input offset (or a file source's position) is committed only for output
 * that survives a crash: one append and one fdatasync per batch, not per
 * record. A record the sink cannot format (a value nested too deep to print,
 * one the writer schema refuses) goes to the error channel with its error,
 * and the rest of its batch is written.
 */
import { Writable } from 'node:stream';
import { ErrorCodes } from '../../core/index.ts';
import type { Envelope } from '../envelope.ts';
import { failureOf, type ErrorChannel } from '../step.ts';

export abstract class BatchSink<Data> extends Writable {
  readonly #onError: ErrorChannel;
  /** Records durable in (or, for stdout, handed to) the output. */
  written = 0;

  constructor(onError: ErrorChannel) {
    super({ objectMode: true, highWaterMark: 256 });
    this.#onError = onError;
  }

  /** Opens the output; runs before the first batch. */
  protected abstract open(): Promise<void>;
  /** The bytes (or text) standing for `values`; throws when one of them cannot be written. */
  protected abstract format(values: readonly unknown[]): Data;
  /** Appends a formatted batch of `count` records and resolves once it is durable. */
  protected abstract append(data: Data, count: number): Promise<void>;
  /** Closes the output; `clean` false after an error. */
  protected abstract release(clean: boolean): Promise<void>;

  override _construct(callback: (error?: Error | null) => void): void {
    this.open().then(() => callback(), callback);
  }

  override _writev(chunks: Array<{ chunk: Envelope }>, callback: (error?: Error | null) => void): void {
    this.#writeBatch(chunks.map((c) => c.chunk)).then(() => callback(), callback);
  }

  override _write(chunk: Envelope, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#writeBatch([chunk]).then(() => callback(), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.release(true).then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.release(false).then(
      () => callback(error),
      () => callback(error),
    );
  }

  async #writeBatch(envelopes: readonly Envelope[]): Promise<void> {
    const { good, data } = await this.#formatted(envelopes);
    if (good.length === 0) return;
    await this.append(data, good.length);
    for (let i = 0; i < good.length; i++) good[i]!.token?.done();
    this.written += good.length;
  }

  /** The whole batch formatted; when that fails, each record alone finds the ones to dead-letter. */
  async #formatted(envelopes: readonly Envelope[]): Promise<{ good: readonly Envelope[]; data: Data }> {
    try {
      return { good: envelopes, data: this.format(envelopes.map((e) => e.record.value)) };
    } catch {
      // Found below, one by one.
    }
    const good: Envelope[] = [];
    for (const envelope of envelopes) {
      try {
        this.format([envelope.record.value]);
        good.push(envelope);
      } catch (err) {
        await this.#onError(failureOf(err, ErrorCodes.SERIALIZE, 'sink', envelope), envelope);
      }
    }
    return { good, data: this.format(good.map((e) => e.record.value)) };
  }
}
