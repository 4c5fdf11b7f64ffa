import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../src/core/index.ts';
import { restoreStore } from '../../../../src/runtime/task/restore.ts';
import { CachedStore, openBackend } from '../../../../src/state/index.ts';
import { createEmbeddedTransport, EmbeddedBroker, type Transport } from '../../../../src/transport/index.ts';

/** A table topic of one partition: k0..k4, then k0 again (offset 5). */
async function tableTopic(): Promise<Transport> {
  const transport = createEmbeddedTransport(new EmbeddedBroker());
  await transport.createTopics([{ name: 'table', partitions: 1, cleanupPolicy: 'compact' }]);
  const producer = await transport.producer();
  await producer.send([0, 1, 2, 3, 4, 0].map((k, i) => ({ topic: 'table', partition: 0, key: `k${k}`, value: `v${i}` })));
  await producer.close();
  return transport;
}

async function restored(until?: bigint | null) {
  const transport = await tableTopic();
  const target = { name: 'table-table', store: new CachedStore(await openBackend({ kind: 'memory' })), changelog: 'table', next: 0 };
  await restoreStore(transport, 0, target, silentLogger, () => undefined, until);
  const value = (k: string) => target.store.get(Buffer.from(k))?.toString();
  return { target, values: ['k0', 'k1', 'k2', 'k3', 'k4'].map(value) };
}

describe('restoring a table from its own topic', () => {
  it('reads up to the committed offset only: the rest is read with the stream', async () => {
    const { target, values } = await restored(3n);
    expect(values).toEqual(['v0', 'v1', 'v2', undefined, undefined]);
    expect(target.store.checkpoint).toBe(3);
  });

  it('restores nothing on a first start (no committed offset)', async () => {
    const { target, values } = await restored(null);
    expect(values).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(target.store.checkpoint).toBeUndefined();
  });

  it('restores a changelog to its end', async () => {
    const { target, values } = await restored();
    expect(values).toEqual(['v5', 'v1', 'v2', 'v3', 'v4']);
    expect(target.store.checkpoint).toBe(6);
  });
});
