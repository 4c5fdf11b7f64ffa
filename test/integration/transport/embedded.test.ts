import { silentLogger } from '../../../src/core/index.ts';
import { createEmbeddedTransport, createTransport, EmbeddedBroker, getEmbeddedBroker } from '../../../src/transport/index.ts';
import { describe, expect, it } from 'vitest';
import { transportContract } from './contract.ts';

transportContract('embedded', { transport: () => createEmbeddedTransport(new EmbeddedBroker()) });

describe('embedded transport', () => {
  it('is what createTransport gives without brokers, sharing one broker per process', async () => {
    const a = createTransport({ clientId: 'a', logger: silentLogger });
    const b = createTransport({ clientId: 'b', brokers: [], logger: silentLogger });
    expect(a.kind).toBe('embedded');
    await a.createTopics([{ name: 'shared-topic', partitions: 2, cleanupPolicy: 'compact' }]);
    expect(await b.describeTopics(['shared-topic', 'no-such-topic'])).toEqual([
      { name: 'shared-topic', partitions: 2, replicationFactor: 1, config: { 'cleanup.policy': 'compact', 'retention.ms': '604800000' } },
    ]);
    expect(getEmbeddedBroker().describe('shared-topic')?.partitions).toBe(2);
  });

  it('creates topics idempotently: a second spec for an existing topic changes nothing', async () => {
    const t = createEmbeddedTransport(new EmbeddedBroker());
    await t.createTopics([{ name: 'x', partitions: 3 }]);
    await t.createTopics([{ name: 'x', partitions: 5 }]);
    expect((await t.describeTopics(['x']))[0]?.partitions).toBe(3);
  });

  it('refuses a record for a partition that does not exist and writes none of its batch', async () => {
    const t = createEmbeddedTransport(new EmbeddedBroker());
    await t.createTopics([{ name: 'y', partitions: 2 }]);
    const p = await t.producer();
    await expect(
      p.send([
        { topic: 'y', key: null, value: 'ok', partition: 0 },
        { topic: 'y', key: null, value: 'bad', partition: 7 },
      ]),
    ).rejects.toMatchObject({ code: 'SLUICE_ERR_PRODUCE', context: { topic: 'y', partition: 7, index: 1 } });
    expect(p.acknowledged).toBe(0);
  });
});
