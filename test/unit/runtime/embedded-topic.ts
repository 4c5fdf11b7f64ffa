import { createSourceStream, type ConsumedRecord, type EmbeddedBroker, type Transport } from '../../../src/transport/index.ts';

/** Every record of an embedded topic as it stands now, read from the beginning by a group of its own. */
export async function readTopic(broker: EmbeddedBroker, transport: Transport, topic: string): Promise<ConsumedRecord[]> {
  const total = broker.endOffsets(topic).reduce((n, e) => n + Number(e.offset ?? 0), 0);
  const consumer = await transport.consumer({ groupId: `peek-${topic}-${Math.random()}`, topics: [topic], fromBeginning: true });
  const stream = await createSourceStream(consumer);
  const out: ConsumedRecord[] = [];
  if (total > 0) {
    for await (const r of stream) {
      out.push(r as ConsumedRecord);
      if (out.length === total) break;
    }
  }
  await consumer.disconnect();
  return out;
}
