/**
 * A stage's topic sink: the transport's acknowledged sink stream, over
 * envelopes. When a batch is acknowledged, each envelope's offset token is
 * told, so the input offset it came from can be committed.
 *
 * A batch the broker refused with a retriable error (a leader moving, a
 * broker away past kafkajs' own retries) is sent again with the node's
 * backoff before the stage fails: the next batch waits for it, so the order
 * of a partition holds, and at-least-once allows the duplicate a resend of a
 * batch that did land may make.
 */
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
}

type Callback = (error?: Error | null) => void;

export class TopicSink extends SinkStream<Envelope> {
  readonly #retry: RetryOptions;
  readonly #teardown = new AbortController();
  /** Resends made. */
  retries = 0;

  constructor(producer: Producer, topic: string, options: TopicSinkOptions = {}) {
    super(producer, topic, { prepare: toSinkRecord, ...(options.maxInFlight !== undefined ? { maxInFlight: options.maxInFlight } : {}) });
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
    this.#sent(
      (cb) => super._write(chunk, encoding, cb),
      () => chunk.token?.done(),
      callback,
    );
  }

  override _writev(chunks: { chunk: Envelope }[], callback: Callback): void {
    this.#sent(
      (cb) => super._writev(chunks, cb),
      () => {
        for (let i = 0; i < chunks.length; i++) chunks[i]!.chunk.token?.done();
      },
      callback,
    );
  }

  override _destroy(err: Error | null, callback: Callback): void {
    this.#teardown.abort();
    super._destroy(err, callback);
  }

  #sent(send: (cb: Callback) => void, acknowledged: () => void, callback: Callback): void {
    const attempt = () => new Promise<void>((resolve, reject) => send((err) => (err ? reject(err) : resolve())));
    withRetry(attempt, this.#retry).then(
      () => {
        acknowledged();
        callback();
      },
      (err: unknown) => callback(err as Error),
    );
  }
}
