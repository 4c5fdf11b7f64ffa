/**
 * aes-gcm values are bound to their topic (the topic name is the additional
 * authenticated data): what the publisher and a stage encode for a topic,
 * stages decode from it; the same bytes copied into another topic fail
 * authentication and go to the dead-letter topic with SLUICE_ERR_DECRYPT_AUTH.
 * On the embedded transport, so it needs no broker.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyRing } from '../../../src/codecs/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { Publisher } from '../../../src/runtime/publisher.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { EmbeddedBroker, createEmbeddedTransport } from '../../../src/transport/index.ts';
import { writeTopology } from '../../integration/runtime/examples.ts';
import { readTopic } from './embedded-topic.ts';

const keysText = `k1:${randomBytes(32).toString('base64')}`;

describe('aes-gcm bound to the topic', () => {
  it('round-trips through a publisher and a stage, and refuses bytes moved to another topic', async () => {
    const file = writeTopology({
      'topology.yaml': `
name: sealed
topics:
  a: { codec: json|aes-gcm }
  b: { codec: json|aes-gcm }
  c: { codec: json|aes-gcm }
nodes:
  relay: { from: a, to: c }
  reader:
    from: [c, b]
    sink: { file: ./out.ndjson }
    dead-letter: sealed.dlq
  feed: { source: { file: ./none.ndjson }, to: a }
  feed-b: { source: { file: ./none.ndjson }, to: b }
`,
      'none.ndjson': '',
    });
    const topology = await loadTopology(file);
    const broker = new EmbeddedBroker();
    const transport = createEmbeddedTransport(broker);
    await transport.createTopics(['a', 'b', 'c', 'sealed.dlq'].map((name) => ({ name, partitions: 1 })));

    const publisher = await Publisher.open({ topic: 'a', codec: 'json|aes-gcm', keys: KeyRing.parse(keysText, 'test'), transport });
    await publisher.publish([{ n: 1 }]);
    await publisher.close();
    // The same ciphertext, headers and all, replayed into topic b.
    const sealed = (await readTopic(broker, transport, 'a'))[0]!;
    const producer = await transport.producer();
    await producer.send([{ topic: 'b', key: sealed.key, value: sealed.value, headers: sealed.headers }]);
    await producer.close();

    const run = await TopologyRun.start({
      topology,
      transport,
      logger: silentLogger,
      nodes: ['relay', 'reader'],
      untilCaughtUp: true,
      env: { SLUICE_KEYS: keysText },
    });
    const report = await run.done;
    expect(report.failed).toEqual([]);
    expect(readFileSync(join(topology.dir, 'out.ndjson'), 'utf8').trim().split('\n')).toEqual(['{"n":1}']);
    expect(report.stages.find((s) => s.node === 'reader')).toMatchObject({ read: 2, written: 1, deadLettered: 1 });
    const dead = (await readTopic(broker, transport, 'sealed.dlq'))[0]!;
    expect(String(dead.headers['sluice.dlq.error.code'])).toBe('SLUICE_ERR_DECRYPT_AUTH');
    expect(String(dead.headers['sluice.dlq.original.topic'])).toBe('b');
    expect(dead.value!.equals(sealed.value!)).toBe(true);
    await transport.close();
  });
});
