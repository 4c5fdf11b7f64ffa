/**
 * Producer into the embedded broker: appends at once, so `send` resolves
 * acknowledged. A record larger than its topic's `max.message.bytes`
 * (Kafka's default unless the topic sets it) is refused on its own, as a
 * Kafka broker refuses it, and the others are written.
 */
import { ErrorCodes, SluiceError } from '../../core/index.ts';
import { addPartition, type Assignment } from '../assignment.ts';
import { recordBytes } from '../batcher.ts';
import { createPartitioner, keyBytes } from '../partitioner.ts';
import { RecordsRefusedError, recordRefused, type RefusedRecord } from '../refused.ts';
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
    const { placed, refused } = this.#place(records);
    this.#append(placed);
    if (refused.length > 0) throw new RecordsRefusedError(refused, records.length);
  }

  /**
   * One transaction's records, appended in one synchronous step, then a
   * marker in every partition they went to (read_committed readers see all
   * of them or, were it aborted, none).
   */
  writeTransaction(records: readonly OutgoingRecord[]): void {
    const { placed, refused } = this.#place(records);
    if (refused.length > 0) throw new RecordsRefusedError(refused, records.length);
    const wrote: Assignment = new Map();
    for (const { topic, partition } of placed) addPartition(wrote, topic, partition);
    this.#append(placed, () => {
      for (const [topic, partitions] of wrote) for (const partition of partitions) this.#broker.appendMarker(topic, partition);
    });
  }

  /** Validates the whole call before anything is appended (a call that throws wrote nothing), and sets aside records too large. */
  #place(records: readonly OutgoingRecord[]): { placed: Omit<ConsumedRecord, 'offset'>[]; refused: RefusedRecord[] } {
    if (this.#closed) throw new SluiceError(ErrorCodes.PRODUCE, 'producer is closed');
    const refused: RefusedRecord[] = [];
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
      const size = recordBytes(record);
      const limit = this.#broker.maxMessageBytes(record.topic);
      if (size > limit) {
        const error = recordRefused('MESSAGE_TOO_LARGE', `the record is ${size} bytes, more than the topic's max.message.bytes (${limit})`, { topic: record.topic, partition });
        refused.push({ index, error });
        return undefined;
      }
      return stored;
    });
    return { placed: placed.filter((r) => r !== undefined), refused };
  }

  #append(placed: Omit<ConsumedRecord, 'offset'>[], then?: () => void): void {
    const touched = new Set<string>();
    for (const record of placed) {
      this.#broker.append(record);
      touched.add(record.topic);
    }
    then?.();
    this.#acknowledged += placed.length;
    for (const topic of touched) this.#broker.notify(topic);
  }

  async flush(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
  }
}
