/**
 * Everything in a topic, read back for a check. A count to stop at cannot see
 * a duplicate beyond it, and end offsets cannot be matched by record offsets
 * on a transactional topic (its commit markers take offsets too). So a marker
 * record goes to every partition first; once the writers are done, a
 * partition has been read completely when its marker comes back, and every
 * record written before it, a duplicate included, has come with it.
 */
import { randomUUID } from 'node:crypto';
import { createSourceStream, type ConsumedRecord, type Transport } from '../../../src/transport/index.ts';

const MARKER = 'sluice-test.end';

/** The records of `topic` (read_committed), each partition in offset order, markers left out. */
export async function readTopicToMarkers(transport: Transport, topic: string, timeoutMs = 60_000): Promise<ConsumedRecord[]> {
  const [description] = await transport.describeTopics([topic]);
  if (description === undefined) throw new Error(`no topic ${topic}`);
  const id = randomUUID();
  const producer = await transport.producer();
  await producer.send(Array.from({ length: description.partitions }, (_, partition) => ({ topic, partition, key: null, value: null, headers: { [MARKER]: id } })));
  await producer.close();

  const consumer = await transport.consumer({ groupId: `verify-${id}`, topics: [topic], fromBeginning: true, readCommitted: true });
  const stream = await createSourceStream(consumer);
  const out: ConsumedRecord[] = [];
  const pending = new Set(Array.from({ length: description.partitions }, (_, p) => p));
  const timer = setTimeout(
    () => stream.destroy(new Error(`${topic}: no end marker from partitions ${[...pending].join(', ')} after ${timeoutMs} ms (${out.length} records read)`)),
    timeoutMs,
  );
  try {
    for await (const chunk of stream) {
      const r = chunk as ConsumedRecord;
      if (r.headers[MARKER]?.toString() === id) {
        pending.delete(r.partition);
        if (pending.size === 0) break;
      } else if (r.headers[MARKER] === undefined) {
        out.push(r);
      }
    }
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return out;
}
