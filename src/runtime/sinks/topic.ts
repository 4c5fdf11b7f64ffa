/**
 * A stage's topic sink: the transport's acknowledged sink stream, over
 * envelopes. When a batch is acknowledged, each envelope's offset token is
 * told, so the input offset it came from can be committed.
 */
import { SinkStream, type Producer, type SinkRecord } from '../../transport/index.ts';
import type { Envelope } from '../envelope.ts';

function toSinkRecord(env: Envelope): SinkRecord {
  const r = env.record;
  // Explicit fields only: the input's partition must not pick the output's.
  return { topic: r.topic, key: r.key, value: r.value as Buffer | null, headers: r.headers, timestamp: r.timestamp };
}

export class TopicSink extends SinkStream<Envelope> {
  constructor(producer: Producer, topic: string, maxInFlight?: number) {
    super(producer, topic, { prepare: toSinkRecord, ...(maxInFlight !== undefined ? { maxInFlight } : {}) });
  }

  override _write(chunk: Envelope, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    super._write(chunk, encoding, (err) => {
      if (!err) chunk.token?.done();
      callback(err);
    });
  }

  override _writev(chunks: { chunk: Envelope }[], callback: (error?: Error | null) => void): void {
    super._writev(chunks, (err) => {
      if (!err) for (let i = 0; i < chunks.length; i++) chunks[i]!.chunk.token?.done();
      callback(err);
    });
  }
}
