/**
 * Records as tests write them, to and from a topic's bytes: values through
 * the topic's codec (as a stage would write them), decoded values read back in
 * the plain form a test file compares.
 */
import { readDeadLetter, topicEncoder, type DeadLetter, type TopicEncoder, type TopologyResources } from '../runtime/index.ts';
import type { ConsumedRecord, OutgoingRecord, Transport } from '../transport/index.ts';
import { plain, type OutputRecord } from './match.ts';
import { timestampOf, type InputRecordSpec } from './test-file.ts';

/** A string the topic's codec refuses is bad input on purpose: its bytes go as written, for the stage to dead-letter. */
function encodedOrText(encoder: TopicEncoder, value: unknown): Buffer {
  try {
    return encoder.encode(value);
  } catch (err) {
    if (typeof value === 'string') return Buffer.from(value);
    throw err;
  }
}

/**
 * A test's records for `topic`. Records with no timestamp take the one before them, starting at
 * `from` (the Unix epoch for a case): a case runs the same every time.
 */
export async function outgoingRecords(resources: TopologyResources, topic: string, given: readonly InputRecordSpec[], from = 0): Promise<OutgoingRecord[]> {
  const encoder = topicEncoder(resources, topic);
  // A schema registry gives the writer's id first.
  await encoder.prepare();
  let last = from;
  return given.map((r) => {
    last = r.timestamp !== undefined ? timestampOf(r.timestamp) : last;
    const value = r.raw !== undefined ? Buffer.from(r.raw) : r.value === undefined || r.value === null ? null : encodedOrText(encoder, r.value);
    return {
      topic,
      key: r.key === undefined || r.key === null ? null : String(r.key),
      value,
      headers: { ...encoder.headers, ...r.headers },
      timestamp: last,
      ...(r.partition !== undefined ? { partition: r.partition } : {}),
    };
  });
}

export async function sendAll(transport: Transport, records: readonly OutgoingRecord[]): Promise<void> {
  if (records.length === 0) return;
  const producer = await transport.producer();
  try {
    await producer.send([...records]);
  } finally {
    await producer.close();
  }
}

/** Per partition, the offset to read from next. */
export type ReadPositions = Map<number, bigint>;

async function readSince(transport: Transport, topic: string, from: ReadPositions): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  const reads = (await transport.endOffsets(topic)).map(({ partition }) => ({ partition, from: (from.get(partition) ?? 0n).toString() }));
  await transport.readPartitions(topic, reads, async (records) => {
    for (const r of records) {
      out.push(r);
      from.set(r.partition, BigInt(r.offset) + 1n);
    }
  });
  // Kafka interleaves the partitions as their fetches return: in partition order, as the embedded broker
  // reads them, two runs that wrote the same records read them back the same.
  return out.sort((a, b) => a.partition - b.partition || (BigInt(a.offset) < BigInt(b.offset) ? -1 : 1));
}

/** The records of `topic` after `from` (moved past them), decoded with the topic's chain. */
export async function readTopicRecords(transport: Transport, resources: TopologyResources, topic: string, from: ReadPositions = new Map()): Promise<OutputRecord[]> {
  const chain = resources.topicChain(topic);
  const aad = Buffer.from(topic, 'utf8');
  const records = await readSince(transport, topic, from);
  // Decoded in order: a writer schema id the registry must be asked for is fetched once, by the first record naming it.
  const out: OutputRecord[] = [];
  for (const r of records) {
    const headers: Record<string, string> = {};
    for (const [name, v] of Object.entries(r.headers)) if (v !== undefined) headers[name] = v.toString('utf8');
    out.push({
      key: r.key === null ? null : r.key.toString('utf8'),
      value: r.value === null ? null : plain(await chain.decodeFetching(r.value, { headers: r.headers, aad })),
      headers,
      partition: r.partition,
      offset: r.offset,
      timestamp: r.timestamp,
    });
  }
  return out;
}

/** The dead letters in `topic` after `from` (moved past them). */
export async function readDeadLetters(transport: Transport, topic: string, from: ReadPositions = new Map()): Promise<DeadLetter[]> {
  if ((await transport.describeTopics([topic])).length === 0) return [];
  return (await readSince(transport, topic, from)).map(readDeadLetter);
}
