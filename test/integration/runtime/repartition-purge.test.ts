/**
 * A window keyed by a field its input is not keyed by reads a repartition
 * topic. On a real broker that topic keeps its records forever (their event
 * times are their input's, here a year old, which the broker's time-based
 * retention deletes unread), and the window stage deletes what it has
 * committed: after the run, each partition's log starts at the group's
 * committed offset.
 */
import { describe, expect, it } from 'vitest';
import { planTopology } from '../../../src/coordinator/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { TopologyRun } from '../../../src/runtime/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import { createTransport, kafkaClients } from '../../../src/transport/index.ts';
import { brokers, uniqueName, withAdmin } from '../harness/kafka.ts';
import { writeTopology } from './examples.ts';

const RECORDS = 300;
/** 2026-01-01, as the replayed events that were lost. */
const START = Date.UTC(2026, 0, 1);

function events(): string {
  return Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ page: `p${i % 20}`, ts: START + i * 5_000 })).join('\n') + '\n';
}

describe.each(kafkaClients)('repartition topics on %s', (client) => {
  it('keep records forever and are purged up to the committed offsets of the window stage', async () => {
    const file = writeTopology({
      'events.ndjson': events(),
      'topology.yaml': `
name: purge
topics:
  views: { partitions: 2 }
  counts: { partitions: 2 }
nodes:
  read:
    source: { file: ./events.ndjson, timestamp: ts }
    to: views
  count:
    from: views
    window: { tumbling: 1m, key: page, aggregate: count, grace: 10s }
    to: counts
`,
    });
    const topology = await loadTopology(file);
    const namespace = `${uniqueName('purge')}.`;
    const plan = planTopology(topology, { namespace });
    const window = plan.stages.find((s) => s.stage === 'count.window')!;
    const repartition = window.inputs[0]!;
    expect(plan.topology.topics[repartition]?.repartition).toBe(true);

    const transport = createTransport({ brokers: brokers(), clientId: 'sluice-purge-test', logger: silentLogger, client });
    try {
      const run = await TopologyRun.start({ topology, transport, logger: silentLogger, namespace, untilCaughtUp: true, commitIntervalMs: 200 });
      expect((await run.done).failed).toEqual([]);
    } finally {
      await transport.close();
    }

    const { retention, ranges, committed, input } = await withAdmin(async (admin) => {
      const { resources } = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: repartition, configNames: ['retention.ms'] }] });
      const [offsets] = await admin.fetchOffsets({ groupId: window.group!, topics: [repartition] });
      return {
        retention: resources[0]?.configEntries.find((e) => e.configName === 'retention.ms')?.configValue,
        ranges: (await admin.fetchTopicOffsets(repartition)).sort((a, b) => a.partition - b.partition),
        committed: offsets!.partitions.sort((a, b) => a.partition - b.partition),
        input: await admin.fetchTopicOffsets(`${namespace}views`),
      };
    });
    expect(retention).toBe('-1');
    expect(ranges.reduce((n, r) => n + Number(r.high), 0)).toBe(RECORDS);
    expect(ranges.every((r) => Number(r.high) > 0)).toBe(true); // keyed onto both partitions
    // Closed windows committed their records; open ones (the last minute's) may hold some back.
    expect(committed.every((c) => Number(c.offset) > 0)).toBe(true);
    expect(ranges.map((r) => [r.partition, r.low])).toEqual(committed.map((c) => [c.partition, c.offset]));
    // The re-keying stage committed all of `views` too, but a topic of the user's is never purged.
    expect(input.map((r) => r.low)).toEqual(['0', '0']);
  });
});
