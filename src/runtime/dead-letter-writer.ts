/**
 * The error channel of a stage: a failed record is written, as it was read, to
 * the node's dead-letter topic with provenance headers, and only its
 * acknowledgement lets the stage go on. Transient broker trouble is retried;
 * if the dead-letter topic stays unreachable the stage fails rather than drop
 * the record, and its offset is never committed. A dead letter its topic
 * refuses (too large) is cut down until it fits (dead-letter.ts), and the
 * stage fails only if even its bare headers do not.
 */
import type { Logger, SluiceError } from '../core/index.ts';
import { refusedRecords, type OutgoingRecord, type Producer } from '../transport/index.ts';
import { deadLetterHeaders, smallerDeadLetter } from './dead-letter.ts';
import type { Envelope } from './envelope.ts';
import { withRetry, type RetryPolicy } from './retry.ts';
import type { ErrorChannel } from './step.ts';

export interface DeadLetterOptions {
  topology: string;
  stage: string;
  topic: string;
  producer: Producer;
  logger: Logger;
  retry?: RetryPolicy;
  /**
   * Exactly-once stages hand the dead letter to their transaction instead;
   * the transaction then finishes the envelope's token with its offset.
   */
  deliver?: (record: OutgoingRecord, envelope: Envelope) => Promise<void>;
}

export class DeadLetterWriter {
  count = 0;
  readonly channel: ErrorChannel;

  constructor(private readonly options: DeadLetterOptions) {
    this.channel = (error, envelope) => this.write(error, envelope);
  }

  get topic(): string {
    return this.options.topic;
  }

  async write(error: SluiceError, envelope: Envelope): Promise<void> {
    const record = this.record(error, envelope);
    if (this.options.deliver !== undefined) return this.options.deliver(record, envelope);
    await this.#send(record);
    envelope.token?.done();
  }

  /** The dead letter of `envelope` failed with `error`: its original key, bytes and headers, and why. Counted and logged. */
  record(error: SluiceError, envelope: Envelope): OutgoingRecord {
    const { origin } = envelope;
    const { topology, stage, topic, logger } = this.options;
    const headers = {
      ...origin.rawHeaders,
      ...deadLetterHeaders(error, {
        topology,
        stage,
        ...(origin.topic !== undefined ? { topic: origin.topic, partition: origin.partition, offset: origin.offset } : {}),
        ...(origin.file !== undefined ? { file: origin.file, line: origin.line } : {}),
        timestamp: origin.timestamp,
        ...(typeof error.context.attempts === 'number' ? { attempts: error.context.attempts } : {}),
      }),
    };
    // A bad record is expected traffic, not a crash: its code and place say enough; the stack is for debugging.
    logger.warn(
      {
        code: error.code,
        error: error.message,
        ...(typeof error.context.attempts === 'number' ? { attempts: error.context.attempts } : {}),
        topic: origin.topic,
        partition: origin.partition,
        offset: origin.offset,
        file: origin.file,
        line: origin.line,
        deadLetter: topic,
        ...(logger.isLevelEnabled('debug') ? { err: error } : {}),
      },
      'record dead-lettered',
    );
    this.count++;
    return { topic, key: origin.rawKey, value: origin.rawValue, headers, timestamp: origin.timestamp };
  }

  async #send(record: OutgoingRecord): Promise<void> {
    const { topic, producer, logger } = this.options;
    for (let letter = record; ; ) {
      try {
        await withRetry(() => producer.send([letter]), {
          ...(this.options.retry !== undefined ? { policy: this.options.retry } : {}),
          onRetry: (err, attempt, delayMs) => logger.warn({ err, attempt, delayMs, deadLetter: topic }, 'dead-letter write failed; retrying'),
        });
        return;
      } catch (err) {
        const smaller = refusedRecords(err) !== undefined ? smallerDeadLetter(letter) : undefined;
        if (smaller === undefined) throw err;
        logger.warn({ err, deadLetter: topic, valueBytes: smaller.value?.length ?? 0 }, 'dead letter refused by its topic; cut down to fit');
        letter = smaller;
      }
    }
  }
}
