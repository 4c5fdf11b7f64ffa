import { silentLogger } from '../../../src/core/index.ts';
import { createEmbeddedTransport, createTransport, EmbeddedBroker, getEmbeddedBroker } from '../../../src/transport/index.ts';
import { createEmbeddedClusterAdmin } from '../../../src/transport/embedded/admin.ts';
import { describe, expect, it } from 'vitest';
import { transportContract } from './contract.ts';

const contractBroker = new EmbeddedBroker();
transportContract('embedded', { transport: () => createEmbeddedTransport(contractBroker), admin: () => createEmbeddedClusterAdmin(contractBroker) });

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
});
