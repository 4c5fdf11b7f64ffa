/** `sluice topics` against the real broker: create with the declared settings, check, refuse a mismatch, delete. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../unit/cli/cli-harness.ts';
import { brokers, createTopic, uniqueName, withAdmin } from '../harness/kafka.ts';
import { writeTopology } from '../runtime/examples.ts';

const yaml = `
name: kept
topics:
  events: { partitions: 3, retention: 2h }
  latest: { partitions: 2, cleanup: compact }
nodes:
  keep: { from: events, to: latest }
`;

describe('sluice topics', () => {
  it('creates the declared topics with their settings, checks them, and deletes those that exist', async () => {
    const file = writeTopology({ 'topology.yaml': yaml });
    const ns = `${uniqueName('topics')}.`;
    const cli = (...args: string[]) => runCli('topics', file, '--brokers', brokers().join(','), '--namespace', ns, ...args);

    const missing = await cli('--check');
    expect(missing.code).toBe(1);
    expect(missing.stdout).toBe(`topic \`${ns}events\` does not exist\ntopic \`${ns}latest\` does not exist\n`);

    const created = await cli('--create');
    expect(created, created.stderr).toMatchObject({ code: 0 });
    expect(created.stdout.split('\n').filter(Boolean).sort()).toEqual([`created ${ns}events`, `created ${ns}latest`]);
    const configs = await withAdmin(async (admin) => {
      const meta = await admin.fetchTopicMetadata({ topics: [`${ns}events`, `${ns}latest`] });
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [`${ns}events`, `${ns}latest`].map((name) => ({ type: 2, name, configNames: ['cleanup.policy', 'retention.ms'] })),
      });
      return { partitions: meta.topics.map((t) => [t.name, t.partitions.length]), resources: resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))]) };
    });
    expect(Object.fromEntries(configs.partitions)).toEqual({ [`${ns}events`]: 3, [`${ns}latest`]: 2 });
    expect(Object.fromEntries(configs.resources)).toMatchObject({ [`${ns}events`]: { 'retention.ms': '7200000', 'cleanup.policy': 'delete' }, [`${ns}latest`]: { 'cleanup.policy': 'compact' } });

    expect(await cli('--check')).toMatchObject({ code: 0, stdout: `all 2 declared topics match ${file}\n` });
    expect((await cli('--create')).stdout).toContain(`exists  ${ns}events`);

    // Only topics that exist are deleted (the dead-letter topic was never made).
    const deleted = await cli('--delete');
    expect(deleted).toMatchObject({ code: 0, stdout: `deleted ${ns}events\ndeleted ${ns}latest\n` });
  });

  it('names the topic and the setting when an existing topic differs, and creates nothing then', async () => {
    const file = writeTopology({ 'topology.yaml': yaml });
    const ns = `${uniqueName('differs')}.`;
    const cli = (...args: string[]) => runCli('topics', file, '--brokers', brokers().join(','), '--namespace', ns, ...args);
    await createTopic(`${ns}events`, 1);
    const differs = await cli('--check');
    expect(differs.code).toBe(1);
    expect(differs.stdout.split('\n')).toEqual([
      `topic \`${ns}events\`: partitions is 1 on the cluster, 3 in the topology`,
      expect.stringMatching(new RegExp(`^topic \`${ns}events\`: retention.ms is \\d+ on the cluster, 7200000 in the topology$`)),
      `topic \`${ns}latest\` does not exist`,
      '',
    ]);
    const refused = await cli('--create');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`topic \`${ns}events\`: partitions is 1 on the cluster, 3 in the topology; `);
    expect(refused.stderr).toContain('[SLUICE_ERR_TOPIC_MISMATCH]');
    expect((await cli('--delete')).stdout).toBe(`deleted ${ns}events\n`);
  });
});
