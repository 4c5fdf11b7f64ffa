import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { compareTopics, describeDifferences, ensureTopics, planTopology } from '../../../src/coordinator/index.ts';
import { isSluiceError } from '../../../src/core/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createEmbeddedTransport, EmbeddedBroker } from '../../../src/transport/index.ts';
import { wordCountPlan } from './fixtures.ts';

const clickstreamFile = fileURLToPath(new URL('../../../topologies/clickstream/topology.yaml', import.meta.url));

describe('topics', () => {
  it('compares declared topics setting by setting, and leaves topics the topology only names alone', async () => {
    const { topology } = await wordCountPlan();
    const differences = compareTopics(topology, [
      { name: 'text.lines', partitions: 1, replicationFactor: 1, config: { 'cleanup.policy': 'delete' } },
      { name: 'text.words', partitions: 6, replicationFactor: 1, config: { 'cleanup.policy': 'delete' } },
      { name: 'word.counts', partitions: 3, replicationFactor: 3, config: { 'cleanup.policy': 'delete' } },
    ]);
    expect(differences).toEqual([
      { topic: 'text.words', setting: 'partitions', expected: '3', actual: '6' },
      { topic: 'word.counts', setting: 'replication', expected: '1', actual: '3' },
      { topic: 'word.counts', setting: 'cleanup.policy', expected: 'compact', actual: 'delete' },
    ]);
    expect(describeDifferences(differences.slice(0, 1))).toBe('topic `text.words`: partitions is 6 on the cluster, 3 in the topology');
    expect(compareTopics(topology, [])).toHaveLength(3);
    expect(compareTopics(topology, []).every((d) => d.setting === 'missing')).toBe(true);
  });

  it("compares a repartition topic's cleanup.policy and retention.ms, which sluice manages, but never calls it missing", async () => {
    const { topology } = planTopology(await loadTopology(clickstreamFile));
    const repartition = 'clickstream.views-per-page.repartition';
    const at = (retention: string) => compareTopics(topology, [{ name: repartition, partitions: 7, replicationFactor: 3, config: { 'cleanup.policy': 'delete', 'retention.ms': retention } }]).filter((d) => d.topic === repartition);
    expect(at('604800000')).toEqual([{ topic: repartition, setting: 'retention.ms', expected: '-1', actual: '604800000' }]);
    expect(at('-1')).toEqual([]);
    expect(compareTopics(topology, []).filter((d) => d.topic === repartition)).toEqual([]);
  });

  it('creates missing topics with their settings, and refuses to start on an existing topic that differs', async () => {
    const { topology } = await wordCountPlan();
    const broker = new EmbeddedBroker();
    const transport = createEmbeddedTransport(broker);
    expect((await ensureTopics(transport, topology)).sort()).toEqual(['text.lines', 'text.words', 'word-count.count.aggregate-changelog', 'word-count.read.source-offsets', 'word.counts']);
    expect(broker.describe('word.counts')).toMatchObject({ partitions: 3, config: { 'cleanup.policy': 'compact' } });
    // The count's store changelog: one partition per task (the input's), compacted like a table.
    expect(broker.describe('word-count.count.aggregate-changelog')).toMatchObject({ partitions: 3, config: { 'cleanup.policy': 'compact' } });
    // Where the file source `read` keeps its position.
    expect(broker.describe('word-count.read.source-offsets')).toMatchObject({ partitions: 1, config: { 'cleanup.policy': 'compact' } });
    expect(await ensureTopics(transport, topology)).toEqual([]);

    const other = new EmbeddedBroker();
    other.createTopic({ name: 'text.words', partitions: 2 });
    let caught: unknown;
    await ensureTopics(createEmbeddedTransport(other), topology).catch((err: unknown) => (caught = err));
    expect(isSluiceError(caught) && caught.code).toBe('SLUICE_ERR_TOPIC_MISMATCH');
    expect((caught as Error).message).toContain('topic `text.words`: partitions is 2 on the cluster, 3 in the topology');
    expect(other.describe('word.counts')).toBeUndefined(); // nothing created before the check passed
  });
});
