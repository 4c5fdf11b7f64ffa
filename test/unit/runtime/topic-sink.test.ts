/**
 * The topic sink resends a batch the broker refused with a retriable error,
 * with backoff, before it fails the stage; a non-retriable refusal fails it at
 * once. Acknowledged records settle their input tokens only once written. The
 * embedded producer stands in for the broker, with refusals injected in front of it.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, SluiceError, createRecord } from '../../../src/core/index.ts';
import type { Envelope } from '../../../src/runtime/envelope.ts';
import { PartitionWatermark } from '../../../src/runtime/offsets.ts';
import { TopicSink } from '../../../src/runtime/sinks/topic.ts';
import { EmbeddedBroker, createEmbeddedTransport, type OutgoingRecord, type Producer } from '../../../src/transport/index.ts';
import { readTopic } from './embedded-topic.ts';

/** `producer`, refusing its first `refusals` sends with `error()`. */
function refusing(producer: Producer, refusals: number, error: () => Error): Producer & { sends: number } {
  let sends = 0;
  return {
    get sends() {
      return sends;
    },
    get acknowledged() {
      return producer.acknowledged;
    },
    send: (records: readonly OutgoingRecord[]) => (++sends <= refusals ? Promise.reject(error()) : producer.send(records)),
    flush: () => producer.flush(),
    close: () => producer.close(),
  };
}

function envelopes(mark: PartitionWatermark, n: number): Envelope[] {
  return Array.from({ length: n }, (_, i) => ({
    record: createRecord(Buffer.from(String(i)), { key: `k${i}` }),
    token: mark.track(BigInt(i)),
    origin: { topic: 'in', partition: 0, offset: String(i), rawKey: null, rawValue: null, rawHeaders: {}, timestamp: 0 },
  }));
}

const policy = { retries: 3, initialDelayMs: 1, maxDelayMs: 2, factor: 2 };
const away = () => new SluiceError(ErrorCodes.BROKER_UNAVAILABLE, 'leader moving', { retriable: true });

describe('TopicSink retries', () => {
  it('resends a batch refused retriably twice: every record written once, tokens settled, retries counted and reported', async () => {
    const broker = new EmbeddedBroker();
    const transport = createEmbeddedTransport(broker);
    await transport.createTopics([{ name: 'out', partitions: 1 }]);
    const producer = refusing(await transport.producer(), 2, away);
    const seen: Array<[string | undefined, number]> = [];
    const sink = new TopicSink(producer, 'out', { retry: policy, onRetry: (err, attempt) => seen.push([(err as SluiceError).code, attempt]) });
    const mark = new PartitionWatermark('in', 0);
    await pipeline(Readable.from(envelopes(mark, 5), { objectMode: true }), sink);

    expect(seen).toEqual([
      [ErrorCodes.BROKER_UNAVAILABLE, 1],
      [ErrorCodes.BROKER_UNAVAILABLE, 2],
    ]);
    expect(sink.retries).toBe(2);
    expect(sink.acknowledged).toBe(5);
    expect(mark.committable()).toBe(5n);
    expect((await readTopic(broker, transport, 'out')).map((r) => r.value!.toString())).toEqual(['0', '1', '2', '3', '4']);
    await transport.close();
  });

  it('fails the stream once the retries run out, with the last error, and settles nothing', async () => {
    const transport = createEmbeddedTransport(new EmbeddedBroker());
    await transport.createTopics([{ name: 'out', partitions: 1 }]);
    const producer = refusing(await transport.producer(), 100, away);
    const mark = new PartitionWatermark('in', 0);
    const sink = new TopicSink(producer, 'out', { retry: policy });
    await expect(pipeline(Readable.from(envelopes(mark, 1), { objectMode: true }), sink)).rejects.toMatchObject({ code: ErrorCodes.BROKER_UNAVAILABLE });
    expect(producer.sends).toBe(1 + policy.retries);
    expect(mark.committable()).toBeUndefined();
    await transport.close();
  });

  it('does not resend after a non-retriable refusal', async () => {
    const transport = createEmbeddedTransport(new EmbeddedBroker());
    await transport.createTopics([{ name: 'out', partitions: 1 }]);
    const producer = refusing(await transport.producer(), 1, () => new SluiceError(ErrorCodes.PRODUCE, 'record too large'));
    const sink = new TopicSink(producer, 'out', { retry: policy });
    await expect(pipeline(Readable.from(envelopes(new PartitionWatermark('in', 0), 1), { objectMode: true }), sink)).rejects.toMatchObject({ code: ErrorCodes.PRODUCE });
    expect(producer.sends).toBe(1);
    expect(sink.retries).toBe(0);
    await transport.close();
  });
});
