/**
 * The dead letters of an embedded run, read back from their in-process topics
 * before the run ends: those topics end with the process, so the run's report
 * is the only place left to show them. Only this run's: the end offsets at its
 * start mark where they begin (one process may run several topologies, or one
 * many times, on its embedded broker).
 */
import { createSourceStream, type ConsumedRecord, type Consumer, type Transport } from '../transport/index.ts';
import { readDeadLetter, type DeadLetter } from './dead-letter.ts';

export interface DeadLetterTopic {
  topic: string;
  deadLetters: DeadLetter[];
}

/** Per dead-letter topic, per partition: the offset this run's dead letters start at. */
export type DeadLetterMarks = ReadonlyMap<string, ReadonlyMap<number, bigint>>;

async function ends(consumer: Consumer, topic: string): Promise<Map<number, bigint>> {
  return new Map((await consumer.endOffsets(topic)).map(({ partition, offset }) => [partition, BigInt(offset ?? '0')]));
}

function reader(transport: Transport, topic: string): Promise<Consumer> {
  return transport.consumer({ groupId: `sluice.dead-letter-report.${topic}`, topics: [topic], fromBeginning: true });
}

export async function deadLetterMarks(transport: Transport, topics: readonly string[]): Promise<DeadLetterMarks> {
  const marks = new Map<string, Map<number, bigint>>();
  for (const topic of new Set(topics)) {
    const consumer = await reader(transport, topic);
    try {
      marks.set(topic, await ends(consumer, topic));
    } finally {
      await consumer.disconnect();
    }
  }
  return marks;
}

/** The records of `topic` from `from` to its end now; needs a log whose offsets are contiguous (embedded). */
async function readSince(transport: Transport, topic: string, from: ReadonlyMap<number, bigint>): Promise<ConsumedRecord[]> {
  const consumer = await reader(transport, topic);
  const out: ConsumedRecord[] = [];
  try {
    const pending = new Map([...(await ends(consumer, topic))].filter(([p, end]) => end > (from.get(p) ?? 0n)));
    if (pending.size === 0) return out;
    for await (const chunk of await createSourceStream(consumer)) {
      const r = chunk as ConsumedRecord;
      const offset = BigInt(r.offset);
      if (offset >= (from.get(r.partition) ?? 0n)) out.push(r);
      if (offset + 1n >= (pending.get(r.partition) ?? 0n)) pending.delete(r.partition);
      if (pending.size === 0) break;
    }
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** The marked topics that received dead letters since their marks, each with all of those. */
export async function readDeadLetterTopics(transport: Transport, marks: DeadLetterMarks): Promise<DeadLetterTopic[]> {
  const out: DeadLetterTopic[] = [];
  for (const [topic, from] of marks) {
    const records = await readSince(transport, topic, from);
    if (records.length > 0) out.push({ topic, deadLetters: records.map(readDeadLetter) });
  }
  return out;
}
