/**
 * One step of a stage (decode, a processor, encode) as a Transform stream.
 * A step maps one envelope to zero or more; the input's offset token is told
 * how many outputs now stand for it, so commits wait for all of them. A step
 * that throws does not kill the stage: the envelope goes to the error channel
 * (the dead-letter topic), and only once that write is acknowledged does the
 * stream go on, so no record is lost between the two.
 *
 * A retriable failure (a SluiceError with `retriable` set: a service the
 * processor calls is away) is tried again with the node's backoff before it
 * is dead-lettered. An outage of a service every record needs (the schema
 * registry) is never the record's fault: once retries are spent the stream
 * fails instead, so the stage stops with the record uncommitted and it is
 * read again when the stage restarts. The record holds the stream while it waits: a stage is one
 * ordered pipeline, and letting later records pass would break the order of
 * its partition. Synchronous steps that succeed never pay for a promise.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { toSluiceError, ErrorCodes, type ErrorCode, type SluiceError } from '../core/index.ts';
import type { Envelope } from './envelope.ts';
import { isRetriable, withRetry, type RetryPolicy } from './retry.ts';

/** Failures that stop the stage rather than dead-letter the record. */
const OUTAGES: ReadonlySet<ErrorCode> = new Set([ErrorCodes.SCHEMA_REGISTRY_UNAVAILABLE]);

export type StepResult = Envelope | readonly Envelope[] | null | undefined;
export type StepFn = (envelope: Envelope) => StepResult | Promise<StepResult>;

/**
 * Receives failed envelopes. It owns the envelope from then on: it finishes
 * the envelope's token once the failure is safely recorded (acknowledged by
 * the dead-letter topic, or part of the transaction that commits its offset),
 * and resolves when the stream may go on.
 */
export type ErrorChannel = (error: SluiceError, envelope: Envelope) => Promise<void>;

/** A failure of `step` on `envelope` as a SluiceError with where the record came from. */
export function failureOf(err: unknown, code: ErrorCode, step: string, { origin }: Envelope): SluiceError {
  return toSluiceError(err, code, {
    step,
    ...(origin.topic !== undefined ? { topic: origin.topic, partition: origin.partition, offset: origin.offset } : {}),
    ...(origin.file !== undefined ? { file: origin.file, line: origin.line } : {}),
  });
}

export interface StepOptions {
  name: string;
  /** Error code for failures that are not SluiceErrors already. */
  code?: ErrorCode;
  onError: ErrorChannel;
  /** Retries of retriable failures; none by default. */
  retry?: RetryPolicy;
  /** Called before each retry's wait, for logs. `attempt` counts retries from 1. */
  onRetry?: (error: SluiceError, envelope: Envelope, attempt: number, delayMs: number) => void;
  highWaterMark?: number;
}

export class StepStream extends Transform {
  readonly name: string;
  readonly #fn: StepFn;
  readonly #code: ErrorCode;
  readonly #onError: ErrorChannel;
  readonly #retry: RetryPolicy | undefined;
  readonly #onRetry: StepOptions['onRetry'];
  /** Ends a retry's wait when the stream is torn down: the record is not committed and is read again. */
  readonly #teardown = new AbortController();
  /** Envelopes taken in. */
  received = 0;
  /** Retries made (each a second or later call of the step for one record). */
  retries = 0;

  constructor(fn: StepFn, options: StepOptions) {
    super({ objectMode: true, highWaterMark: options.highWaterMark ?? 256 });
    this.name = options.name;
    this.#fn = fn;
    this.#code = options.code ?? ErrorCodes.PROCESSOR;
    this.#onError = options.onError;
    this.#retry = options.retry !== undefined && options.retry.retries > 0 ? options.retry : undefined;
    this.#onRetry = options.onRetry;
  }

  override _transform(envelope: Envelope, _enc: BufferEncoding, callback: TransformCallback): void {
    this.received++;
    let result: StepResult | Promise<StepResult>;
    try {
      result = this.#fn(envelope);
    } catch (err) {
      this.#failed(err, envelope, callback);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (out) => this.#emit(envelope, out, callback),
        (err: unknown) => this.#failed(err, envelope, callback),
      );
    } else {
      this.#emit(envelope, result, callback);
    }
  }

  #emit(input: Envelope, out: StepResult, callback: TransformCallback): void {
    if (out === null || out === undefined) {
      input.token?.fanOut(0);
    } else if (Array.isArray(out)) {
      const list = out as readonly Envelope[];
      input.token?.fanOut(list.length);
      for (let i = 0; i < list.length; i++) this.push(list[i]);
    } else {
      this.push(out);
    }
    callback();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#teardown.abort();
    callback(err);
  }

  #failed(err: unknown, envelope: Envelope, callback: TransformCallback): void {
    if (this.#retry === undefined || !isRetriable(err)) {
      this.#fail(err, envelope, callback, 1);
      return;
    }
    // withRetry makes the first call itself; that call has already failed here, so it replays the failure.
    let replay = true;
    let calls = 1;
    withRetry(
      () => {
        if (replay) {
          replay = false;
          return Promise.reject(err);
        }
        calls++;
        return Promise.resolve().then(() => this.#fn(envelope));
      },
      {
        policy: this.#retry,
        signal: this.#teardown.signal,
        onRetry: (cause, attempt, delayMs) => {
          this.retries++;
          this.#onRetry?.(this.#error(cause, envelope, calls), envelope, attempt, delayMs);
        },
      },
    ).then(
      (out) => this.#emit(envelope, out, callback),
      (last: unknown) => (this.destroyed ? callback() : this.#fail(last, envelope, callback, calls)),
    );
  }

  #error(err: unknown, envelope: Envelope, attempts: number): SluiceError {
    return failureOf(err, this.#code, this.name, envelope).withContext({ attempts });
  }

  #fail(err: unknown, envelope: Envelope, callback: TransformCallback, attempts: number): void {
    const error = this.#error(err, envelope, attempts);
    if (OUTAGES.has(error.code)) {
      callback(error);
      return;
    }
    this.#onError(error, envelope).then(() => callback(), callback);
  }
}
