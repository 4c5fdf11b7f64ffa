import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseInstances, planTopology, scheduleWarnings, topicsOf } from '../../../src/coordinator/index.ts';
import { isSluiceError } from '../../../src/core/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';

const examples = fileURLToPath(new URL('../../../topologies/', import.meta.url));

describe('planTopology', () => {
  it('gives one stage per node, two for a window split around a repartition topic, with groups, topics and vertex ids', async () => {
    const plan = planTopology(await loadTopology(join(examples, 'clickstream/topology.yaml')), { namespace: 'ns.' });
    const byId = new Map(plan.stages.map((s) => [s.stage, s]));
    expect([...byId.keys()]).toEqual(['collect', 'validate', 'views-per-page', 'views-per-page.window', 'route', 'report']);
    expect(byId.get('collect')!.group).toBeUndefined();
    expect(byId.get('collect')).toMatchObject({ inputs: [], outputs: ['ns.clicks.raw'], vertex: 'node-collect', instances: 1 });
    expect(byId.get('validate')).toMatchObject({ group: 'ns.clickstream.validate', inputs: ['ns.clicks.raw'], deadLetter: 'ns.clicks.dlq' });
    expect(byId.get('views-per-page')!.outputs).toEqual(['ns.clickstream.views-per-page.repartition']);
    expect(byId.get('views-per-page.window')).toMatchObject({
      vertex: 'node-views-per-page',
      group: 'ns.clickstream.views-per-page.window',
      inputs: ['ns.clickstream.views-per-page.repartition'],
      outputs: ['ns.page.views'],
    });
    expect(topicsOf(plan)).toContain('ns.clickstream.views-per-page.repartition');
    expect(topicsOf(plan)).toContain('ns.clicks.valid.dlq');
    // Kept forever: its records carry old event times, which time-based retention would delete unread.
    expect(plan.topology.topics['ns.clickstream.views-per-page.repartition']).toMatchObject({ retentionMs: -1, repartition: true, declared: false });
    expect(Object.values(plan.topology.topics).filter((t) => t.repartition).map((t) => t.name)).toEqual(['ns.clickstream.views-per-page.repartition']);
  });

  it('applies --instances overrides to topic-reading nodes, keeps other sources at one, and warns about idle instances', async () => {
    const topology = await loadTopology(join(examples, 'clickstream/topology.yaml'));
    const plan = planTopology(topology, { instances: { validate: 5, route: 2, collect: 3 } });
    const count = (id: string) => plan.stages.find((s) => s.stage === id)!.instances;
    expect([count('validate'), count('route'), count('collect')]).toEqual([5, 2, 1]);
    expect(scheduleWarnings(plan)).toEqual(['stage validate: 5 instances but its input has 3 partition(s); 2 will sit idle']);
  });

  it('refuses overrides for nodes that do not exist', async () => {
    const topology = await loadTopology(join(examples, 'word-count/topology.yaml'));
    expect(() => planTopology(topology, { instances: { nope: 2 } })).toThrow(/--instances names no node of word-count: nope/);
  });
});

describe('parseInstances', () => {
  it('reads node=N pairs', () => {
    expect(parseInstances('a=2, b-c=10')).toEqual({ a: 2, 'b-c': 10 });
  });

  it.each(['a', 'a=0', 'a=x', '=2', 'a=2000'])('refuses `%s` with a usage error', (text) => {
    let caught: unknown;
    try {
      parseInstances(text);
    } catch (err) {
      caught = err;
    }
    expect(isSluiceError(caught) && caught.code).toBe('SLUICE_ERR_CLI_USAGE');
  });
});
