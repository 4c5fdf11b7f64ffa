/**
 * One step of a stage (decode, a processor, encode) as a Transform stream.
 * A step maps one envelope to zero or more; the input's offset token is told
 * how many outputs now stand for it, so commits wait for all of them. A step
 * that throws does not kill the stage: the envelope goes to the error channel
 * (the dead-letter topic), and only once that write is acknowledged does the
 * stream go on, so no record is lost between the two.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { toSluiceError, ErrorCodes, type ErrorCode, type SluiceError } from '../core/index.ts';
import type { Envelope } from './envelope.ts';

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
  highWaterMark?: number;
}

export class StepStream extends Transform {
  readonly name: string;
  readonly #fn: StepFn;
  readonly #code: ErrorCode;
  readonly #onError: ErrorChannel;

  constructor(fn: StepFn, options: StepOptions) {
    super({ objectMode: true, highWaterMark: options.highWaterMark ?? 256 });
    this.name = options.name;
    this.#fn = fn;
    this.#code = options.code ?? ErrorCodes.PROCESSOR;
    this.#onError = options.onError;
  }

  override _transform(envelope: Envelope, _enc: BufferEncoding, callback: TransformCallback): void {
    let result: StepResult | Promise<StepResult>;
    try {
      result = this.#fn(envelope);
    } catch (err) {
      this.#fail(err, envelope, callback);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (out) => this.#emit(envelope, out, callback),
        (err: unknown) => this.#fail(err, envelope, callback),
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

  #fail(err: unknown, envelope: Envelope, callback: TransformCallback): void {
    this.#onError(failureOf(err, this.#code, this.name, envelope), envelope).then(() => callback(), callback);
  }
}
