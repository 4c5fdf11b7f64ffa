/**
 * Interactive queries on the real broker: the word-count example's count
 * node with two instances (worker threads) in coordinator A, and a third
 * member of its group in coordinator B (`--node count`, one instance). A
 * answers the words of its partitions from its instances' stores and names
 * B's member for the others; B answers those. Every count equals an
 * independent count of the example's text.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Coordinator } from '../../../src/coordinator/index.ts';
import { ErrorCodes } from '../../../src/core/index.ts';
import { uniqueName } from '../harness/kafka.ts';
import { wordCountFile, wordCountText } from '../../unit/coordinator/fixtures.ts';
import { startCoordinator, stopCoordinator, until } from './helpers.ts';

const coordinators: Coordinator[] = [];

afterAll(async () => {
  for (const c of coordinators) await stopCoordinator(c);
});

interface Answer {
  status: number;
  body: { code?: string; partition?: number; results?: Array<{ key: string; value: number }>; owner?: { memberId: string; clientId: string; host: string } };
}

async function ask(coordinator: Coordinator, word: string): Promise<Answer> {
  const res = await fetch(`${coordinator.http!.url}/stores/count/aggregate/${encodeURIComponent(word)}`);
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

describe('interactive queries on Kafka', () => {
  it('answers each word from the instance owning its partition, or names the member that owns it', async () => {
    const { counts } = await wordCountText();
    const namespace = `${uniqueName('query')}.`;
    const a = await startCoordinator(wordCountFile, namespace, { nodes: ['read', 'split', 'count'], instances: { count: 2 }, isolation: 'thread' });
    coordinators.push(a);
    const b = await startCoordinator(wordCountFile, namespace, { nodes: ['count'], instances: { count: 1 } });
    coordinators.push(b);

    const group = `${namespace}word-count.count`;
    await until(
      'the count group stable with 3 members, one partition each',
      async () => {
        const stage = (await a.refresh()).stages.find((s) => s.stage === 'count')!;
        return stage.groupState === 'Stable' && stage.members.length === 3 && stage.members.every((m) => m.assignment[0]?.partitions.length === 1) ? true : undefined;
      },
      90_000,
    );

    // Until the group has settled and every word is counted: A answers it, or names B's member and B answers it.
    const seen = await until(
      'every word answered with its count',
      async () => {
        const byA = { local: 0, owner: 0 };
        for (const [word, count] of counts) {
          const first = await ask(a, word);
          let answer = first;
          if (first.status === 404 && first.body.code === ErrorCodes.KEY_NOT_OWNED) {
            expect(first.body.owner?.memberId).toEqual(expect.any(String));
            answer = await ask(b, word);
            byA.owner++;
          } else {
            byA.local++;
          }
          if (answer.status !== 200 || answer.body.results?.[0]?.value !== count) return undefined;
          expect(answer.body.results).toHaveLength(1);
          expect(answer.body.results![0]!.key).toBe(word);
        }
        return byA;
      },
      90_000,
      500,
    );
    expect(seen.local).toBeGreaterThan(0);
    expect(seen.owner).toBeGreaterThan(0);

    // The owner A names is the member B runs: DescribeGroups lists it holding that partition.
    const named = new Set<string>();
    for (const word of counts.keys()) {
      const answer = await ask(a, word);
      if (answer.body.code === ErrorCodes.KEY_NOT_OWNED) named.add(answer.body.owner!.memberId);
    }
    const status = await a.refresh();
    const members = status.stages.find((s) => s.stage === 'count')!.members;
    expect(named.size).toBe(1);
    const bMember = members.find((m) => named.has(m.memberId))!;
    expect(bMember).toBeDefined();
    expect(status.stages.find((s) => s.stage === 'count')!.group).toBe(group);

    // A's instances report the partitions they hold, and their restores, all done.
    const local = status.stages.find((s) => s.stage === 'count')!.local!;
    const held = [0, 1, 2].filter((p) => !bMember.assignment[0]!.partitions.includes(p));
    expect(local.restores.filter((r) => held.includes(r.partition)).every((r) => r.remaining === 0)).toBe(true);
    expect([...new Set(local.restores.map((r) => r.partition))]).toEqual(expect.arrayContaining(held));
  });
});
