import { describe, expect, it } from 'vitest';
import { annotationsOf, statusOf, statusTable, type LocalStageStatus } from '../../../src/coordinator/index.ts';
import { group, offsets, ranges, sample, wordCountPlan } from './fixtures.ts';

const local = (read: number, written: number): LocalStageStatus => ({ state: 'running', instances: 1, running: 1, restarts: 0, crashes: 2, read, written, deadLettered: 0, retried: 0, restores: [] });

async function twoSamples(namespace = '') {
  const plan = await wordCountPlan(namespace);
  const t = (name: string) => `${namespace}${name}`;
  const first = sample({
    at: 10_000,
    groups: [group(t('word-count.split'), 'Stable', [['m1', t('text.lines'), [0]]])],
    committed: { [t('word-count.split')]: { [t('text.lines')]: offsets(5) } },
    topics: { [t('text.lines')]: ranges(10), [t('text.words')]: ranges(4, 4, 4), [t('text.lines.dlq')]: ranges(1) },
  });
  const second = sample({
    at: 12_000,
    groups: [group(t('word-count.split'), 'Stable', [['m1', t('text.lines'), [0]]])],
    committed: { [t('word-count.split')]: { [t('text.lines')]: offsets(9) } },
    topics: { [t('text.lines')]: ranges(12), [t('text.words')]: ranges(10, 10, 10), [t('text.lines.dlq')]: ranges(3) },
  });
  return { plan, first, second };
}

describe('statusOf', () => {
  it('computes lag per partition and per stage, rates between samples, group state and dead letters', async () => {
    const { plan, first, second } = await twoSamples();
    const status = statusOf({ plan, sample: second, previous: first }, 'kafka');
    const split = status.stages.find((s) => s.stage === 'split')!;
    expect(split).toMatchObject({
      group: 'word-count.split',
      groupState: 'Stable',
      partitions: [{ topic: 'text.lines', partition: 0, committed: '9', end: '12', lag: 3 }],
      lag: 3,
      inputRate: 2, // 4 records committed in 2 s
      outputRate: 9, // text.words grew by 18 in 2 s
      deadLetterTopic: 'text.lines.dlq',
      deadLettered: 3,
    });
    expect(split.members.map((m) => m.memberId)).toEqual(['m1']);
    expect(status.at).toBe(new Date(12_000).toISOString());
    expect(status.topics.find((t) => t.topic === 'text.words')).toEqual({ topic: 'text.words', partitions: 3, end: 30, rate: 9 });
  });

  it('reports a group that does not exist as Dead, lagging by everything above the low watermark', async () => {
    const { plan, second } = await twoSamples();
    const count = statusOf({ plan, sample: second }, 'kafka').stages.find((s) => s.stage === 'count')!;
    expect(count).toMatchObject({ groupState: 'Dead', members: [], lag: 30, inputRate: null });
    expect(count.partitions.map((p) => p.committed)).toEqual([null, null, null]);
  });

  it('gives a stage without topic input no group or lag, and takes its input rate from what the coordinator counted', async () => {
    const { plan, first, second } = await twoSamples();
    const status = statusOf({ plan, sample: second, previous: first, local: new Map([['read', local(30, 30)]]), localBefore: new Map([['read', local(10, 10)]]) }, 'kafka');
    expect(status.stages.find((s) => s.stage === 'read')).toMatchObject({ group: null, groupState: null, lag: null, inputRate: 10, outputRate: 1 });
  });
});

describe('annotationsOf', () => {
  it('keys figures by the SVG ids of the topology as written, mapping namespaced topics back', async () => {
    const { plan, first, second } = await twoSamples('ns.');
    const annotations = annotationsOf(plan, statusOf({ plan, sample: second, previous: first, local: new Map([['split', local(1, 1)]]) }, 'kafka'));
    const lines = new Map(annotations.map((a) => [a.id, a.lines]));
    expect(lines.get('node-split')).toEqual(['running', 'lag 3']);
    expect(annotations.find((a) => a.id === 'node-split')!.state).toBe('running');
    expect(lines.get('edge-topic-text.lines--node-split')).toEqual(['lag 3']);
    expect(lines.get('edge-node-split--topic-text.words')).toEqual(['9.0/s']);
    expect(lines.get('edge-source-read--node-read')).toEqual(['–/s']);
    expect(lines.get('topic-text.words')).toEqual(['30 rec', '9.0/s']);
    expect(lines.get('node-count')).toEqual(['Dead', 'lag 30']);
    expect(lines.get('node-read')).toEqual(['unwatched']);
  });
});

describe('statusTable', () => {
  it('prints one aligned row per stage with instances, state, lag, rates, errors and dead letters', async () => {
    const { plan, first, second } = await twoSamples();
    const table = statusTable(statusOf({ plan, sample: second, previous: first, local: new Map([['split', local(1, 1)]]) }, 'kafka'));
    const lines = table.trimEnd().split('\n');
    expect(lines[0]).toBe(`topology word-count (kafka) at ${new Date(12_000).toISOString()}`);
    expect(lines[1]!.split(/\s+/)).toEqual(['STAGE', 'INSTANCES', 'STATE', 'LAG', 'IN/S', 'OUT/S', 'ERRORS', 'DLQ']);
    expect(lines.find((l) => l.startsWith('split'))!.split(/\s+/)).toEqual(['split', '1/1', 'running', 'Stable', '3', '2.0', '9.0', '2', '3']);
    expect(lines.find((l) => l.startsWith('count'))!.split(/\s+/)).toEqual(['count', '0', 'Dead', '30', '0.0', '0.0', '-', '-']);
    // The last column is right-aligned, so aligned rows are all as long as the header.
    expect(new Set(lines.slice(1).map((l) => l.length)).size).toBe(1);
  });
});
