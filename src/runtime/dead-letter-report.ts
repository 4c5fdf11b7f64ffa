/**
 * The dead letters of an embedded run, read back from their in-process topics
 * before the run ends: those topics end with the process, so the run's report
 * is the only place left to show them. Only this run's: the end offsets at its
 * start mark where they begin (one process may run several topologies, or one
 * many times, on its embedded broker).
 */
import type { ConsumedRecord, Transport } from '../transport/index.ts';
import { readDeadLetter, type DeadLetter } from './dead-letter.ts';

export interface DeadLetterTopic {
  topic: string;
  deadLetters: DeadLetter[];
}

/** Per dead-letter topic, per partition: the offset this run's dead letters start at. */
export type DeadLetterMarks = ReadonlyMap<string, ReadonlyMap<number, bigint>>;

/** Per partition, the end offset now. */
async function ends(transport: Transport, topic: string): Promise<Map<number, bigint>> {
  return new Map((await transport.endOffsets(topic)).map(({ partition, offset }) => [partition, BigInt(offset ?? '0')]));
}

export async function deadLetterMarks(transport: Transport, topics: readonly string[]): Promise<DeadLetterMarks> {
  const marks = new Map<string, Map<number, bigint>>();
  for (const topic of new Set(topics)) marks.set(topic, await ends(transport, topic));
  return marks;
}

/** The records of `topic` from `from` to its end now. */
async function readSince(transport: Transport, topic: string, from: ReadonlyMap<number, bigint>): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  const reads = [...from].map(([partition, at]) => ({ partition, from: at.toString() }));
  await transport.readPartitions(topic, reads, async (records) => void out.push(...records));
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
