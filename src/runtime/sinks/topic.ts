/**
 * A stage's topic sink: the transport's acknowledged sink stream, over
 * envelopes. When a batch is acknowledged, each envelope's offset token is
 * told, so the input offset it came from can be committed. A record the
 * broker refuses on its own goes to the stage's dead-letter topic, whose
 * acknowledgement finishes its token, and the stage goes on.
 */
import type { SluiceError } from '../../core/index.ts';
import { SinkStream, type Producer, type SinkRecord } from '../../transport/index.ts';
import type { Envelope } from '../envelope.ts';

function toSinkRecord(env: Envelope): SinkRecord {
  const r = env.record;
  // Explicit fields only: the input's partition must not pick the output's.
  return { topic: r.topic, key: r.key, value: r.value as Buffer | null, headers: r.headers, timestamp: r.timestamp };
}

export class TopicSink extends SinkStream<Envelope> {
  constructor(producer: Producer, topic: string, deadLetter: (error: SluiceError, env: Envelope) => Promise<void>, maxInFlight?: number) {
    super(producer, topic, {
      prepare: toSinkRecord,
      onAcknowledged: (env) => env.token?.done(),
      onRefused: (env, error) => deadLetter(error, env),
      ...(maxInFlight !== undefined ? { maxInFlight } : {}),
    });
  }
}
