/** Producer into the embedded broker: appends at once, so `send` resolves acknowledged. */
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import { createPartitioner, keyBytes } from '../partitioner.ts';
import type { ConsumedRecord, HeaderBytes, OutgoingRecord, Producer } from '../types.ts';
import type { EmbeddedBroker } from './broker.ts';

function bytes(data: Buffer | string | null): Buffer | null {
  return data === null ? null : keyBytes(data);
}

function headerBytes(headers: Record<string, Buffer | string> | undefined): HeaderBytes {
  const out: HeaderBytes = {};
  if (headers !== undefined) for (const name in headers) out[name] = keyBytes(headers[name]!);
  return out;
}

export class EmbeddedProducer implements Producer {
  readonly #broker: EmbeddedBroker;
  readonly #partition = createPartitioner();
  #acknowledged = 0;
  #closed = false;

  constructor(broker: EmbeddedBroker) {
    this.#broker = broker;
  }

  get acknowledged(): number {
    return this.#acknowledged;
  }

  async send(records: readonly OutgoingRecord[]): Promise<void> {
    if (this.#closed) throw new SluiceError(ErrorCodes.PRODUCE, 'producer is closed');
    // Validate the whole call before appending any of it: a rejected send wrote nothing.
    const placed = records.map((record, index) => {
      const partitions = this.#broker.topic(record.topic).logs.length;
      const partition = record.partition ?? this.#partition(record.topic, record.key, partitions);
      if (!Number.isInteger(partition) || partition < 0 || partition >= partitions) {
        throw new SluiceError(ErrorCodes.PRODUCE, `partition ${partition} does not exist (topic has ${partitions})`, {
          context: { topic: record.topic, partition, index },
        });
      }
      const stored: Omit<ConsumedRecord, 'offset'> = {
        key: bytes(record.key),
        value: bytes(record.value),
        headers: headerBytes(record.headers),
        timestamp: record.timestamp ?? Date.now(),
        topic: record.topic,
        partition,
      };
      return stored;
    });
    const touched = new Set<string>();
    for (const record of placed) {
      this.#broker.append(record);
      touched.add(record.topic);
    }
    this.#acknowledged += records.length;
    for (const topic of touched) this.#broker.notify(topic);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
  }
}
