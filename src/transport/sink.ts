/**
 * The producer's stream face. A write's callback fires only when the broker
 * has acknowledged it, so a pipeline that finishes has had everything
 * acknowledged. Writes that arrive while a batch is in flight wait in the
 * Writable's buffer, at most `maxInFlight` of them (write() returns false
 * beyond that: backpressure), and go out together as the next batch. A
 * record the broker refuses on its own goes to `onRefused` (a dead-letter
 * topic) when there is one, and the stream goes on; without one it fails.
 */
import { Writable } from 'node:stream';
import type { SluiceError } from '../core/index.ts';
import { refusedRecords } from './refused.ts';
import type { OutgoingRecord, Producer } from './types.ts';

/** What a sink accepts by default: a full record, or one whose topic the sink fills in. */
export type SinkRecord = Omit<OutgoingRecord, 'topic'> & { topic?: string };

export interface SinkStreamOptions<T = SinkRecord> {
  /** Records buffered or unacknowledged before write() says stop. Default 10,000. */
  maxInFlight?: number;
  /** Turns a written chunk into a record (e.g. encodes a value); what it throws fails the stream. */
  prepare?: (chunk: T) => SinkRecord;
  /** Told of each chunk once the broker has acknowledged its record. */
  onAcknowledged?: (chunk: T) => void;
  /** Takes a chunk whose record the broker refused on its own; the write goes on once it resolves. */
  onRefused?: (chunk: T, error: SluiceError) => Promise<void>;
}

export class SinkStream<T = SinkRecord> extends Writable {
  readonly #producer: Producer;
  readonly #topic: string;
  readonly #prepare: ((chunk: T) => SinkRecord) | undefined;
  readonly #onAcknowledged: ((chunk: T) => void) | undefined;
  readonly #onRefused: ((chunk: T, error: SluiceError) => Promise<void>) | undefined;
  #acknowledged = 0;

  constructor(producer: Producer, topic: string, options: SinkStreamOptions<T> = {}) {
    super({ objectMode: true, highWaterMark: Math.max(1, options.maxInFlight ?? 10_000) });
    this.#producer = producer;
    this.#topic = topic;
    this.#prepare = options.prepare;
    this.#onAcknowledged = options.onAcknowledged;
    this.#onRefused = options.onRefused;
  }

  /** Records the broker has acknowledged through this stream. */
  get acknowledged(): number {
    return this.#acknowledged;
  }

  override _write(chunk: T, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let record: OutgoingRecord;
    try {
      record = this.#toRecord(chunk);
    } catch (err) {
      callback(err as Error);
      return;
    }
    this.#send([record], [chunk], callback);
  }

  override _writev(chunks: { chunk: T }[], callback: (error?: Error | null) => void): void {
    const records = new Array<OutgoingRecord>(chunks.length);
    const written = new Array<T>(chunks.length);
    try {
      for (let i = 0; i < chunks.length; i++) records[i] = this.#toRecord((written[i] = chunks[i]!.chunk));
    } catch (err) {
      callback(err as Error);
      return;
    }
    this.#send(records, written, callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#producer.flush().then(() => callback(), callback);
  }

  #toRecord(chunk: T): OutgoingRecord {
    const record = this.#prepare === undefined ? (chunk as SinkRecord) : this.#prepare(chunk);
    if (record.topic !== undefined) return record as OutgoingRecord;
    return { ...record, topic: this.#topic };
  }

  #send(records: OutgoingRecord[], chunks: T[], callback: (error?: Error | null) => void): void {
    // Nothing else will join this batch before its ack (writes wait for it),
    // so lingering would only add latency: dispatch at once.
    Promise.all([this.#producer.send(records), this.#producer.flush()]).then(
      () => this.#acknowledge(chunks, undefined, callback),
      (err: unknown) => {
        const refused = refusedRecords(err);
        if (refused === undefined || this.#onRefused === undefined) return callback(err as Error);
        // The rest of the batch is acknowledged: hand over the refused ones in order, then go on.
        const handOver = refused.reduce((done, { index, error }) => done.then(() => this.#onRefused!(chunks[index]!, error)), Promise.resolve());
        handOver.then(() => this.#acknowledge(chunks, new Set(refused.map((r) => r.index)), callback), callback);
      },
    );
  }

  #acknowledge(chunks: T[], refused: ReadonlySet<number> | undefined, callback: (error?: Error | null) => void): void {
    this.#acknowledged += chunks.length - (refused?.size ?? 0);
    if (this.#onAcknowledged !== undefined) {
      for (let i = 0; i < chunks.length; i++) if (refused === undefined || !refused.has(i)) this.#onAcknowledged(chunks[i]!);
    }
    callback();
  }
}

export function createSinkStream<T = SinkRecord>(
  producer: Producer,
  topic: string,
  options: SinkStreamOptions<T> = {},
): SinkStream<T> {
  return new SinkStream(producer, topic, options);
}
