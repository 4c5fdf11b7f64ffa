/**
 * A stage's topic sink: the transport's acknowledged sink stream, over
 * envelopes. When a batch is acknowledged, each envelope's offset token is
 * told, so the input offset it came from can be committed. A record the
 * broker refuses on its own goes to the stage's dead-letter topic, whose
 * acknowledgement finishes its token, and the stage goes on.
 *
 * A batch the broker refused with a retriable error (a leader moving, a
 * broker away past kafkajs' own retries) is sent again with the node's
 * backoff before the stage fails: the next batch waits for it, so the order
 * of a partition holds, and at-least-once allows the duplicate a resend of a
 * batch that did land may make.
 */
import type { SluiceError } from '../../core/index.ts';
import { SinkStream, type Producer, type SinkRecord } from '../../transport/index.ts';
import type { Envelope } from '../envelope.ts';
import { withRetry, type RetryOptions, type RetryPolicy } from '../retry.ts';

function toSinkRecord(env: Envelope): SinkRecord {
  const r = env.record;
  // Explicit fields only: the input's partition must not pick the output's.
  return { topic: r.topic, key: r.key, value: r.value as Buffer | null, headers: r.headers, timestamp: r.timestamp };
}

export interface TopicSinkOptions {
  maxInFlight?: number;
  /** Resends of a batch that failed with a retriable error; none by default. */
  retry?: RetryPolicy;
  onRetry?: RetryOptions['onRetry'];
  /** Takes a record the broker refused on its own (the dead-letter topic); without it such a refusal fails the stage. */
  deadLetter?: (error: SluiceError, env: Envelope) => Promise<void>;
}

type Callback = (error?: Error | null) => void;

export class TopicSink extends SinkStream<Envelope> {
  readonly #retry: RetryOptions;
  readonly #teardown = new AbortController();
  /** Resends made. */
  retries = 0;

  constructor(producer: Producer, topic: string, options: TopicSinkOptions = {}) {
    const { deadLetter } = options;
    super(producer, topic, {
      prepare: toSinkRecord,
      onAcknowledged: (env) => env.token?.done(),
      ...(deadLetter !== undefined ? { onRefused: (env: Envelope, error: SluiceError) => deadLetter(error, env) } : {}),
      ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}),
    });
    this.#retry = {
      policy: options.retry ?? { retries: 0, initialDelayMs: 0, maxDelayMs: 0, factor: 1 },
      signal: this.#teardown.signal,
      onRetry: (err, attempt, delayMs) => {
        this.retries++;
        options.onRetry?.(err, attempt, delayMs);
      },
    };
  }

  override _write(chunk: Envelope, encoding: BufferEncoding, callback: Callback): void {
    this.#sent((cb) => super._write(chunk, encoding, cb), callback);
  }

  override _writev(chunks: { chunk: Envelope }[], callback: Callback): void {
    this.#sent((cb) => super._writev(chunks, cb), callback);
  }

  override _destroy(err: Error | null, callback: Callback): void {
    this.#teardown.abort();
    super._destroy(err, callback);
  }

  #sent(send: (cb: Callback) => void, callback: Callback): void {
    const attempt = () => new Promise<void>((resolve, reject) => send((err) => (err ? reject(err) : resolve())));
    withRetry(attempt, this.#retry).then(
      () => callback(),
      (err: unknown) => callback(err as Error),
    );
  }
}
