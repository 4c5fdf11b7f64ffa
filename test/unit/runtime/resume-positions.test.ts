/**
 * A task whose stores hold input positions ahead of the group's committed
 * offset (a crash after the changelog write, before the offset commit)
 * starts reading there, and commits that position even when no record
 * follows: otherwise the group's lag never reaches 0 and a caught-up run
 * (`--until-caught-up`) waits for good.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { metaKey } from '../../../src/state/index.ts';
import { MemoryBackend } from '../../../src/state/memory-backend.ts';
import { TaskManager } from '../../../src/runtime/task/task-manager.ts';
import type { Consumer, OffsetCommit, ReadPosition, Transport } from '../../../src/transport/index.ts';

function consumerAt(committed: string | null, commits: string[]): Consumer {
  const positions = new Map<number, ReadPosition>();
  const consumer = {
    owns: () => true,
    committedOffsets: async () => [{ partition: 0, offset: committed }],
    seek: (_topic: string, partition: number, offset: string) => positions.set(partition, { lastDelivered: null, next: offset }),
    position: (_topic: string, partition: number) => positions.get(partition),
    commit: async (offsets: readonly OffsetCommit[]) => {
      commits.push(...offsets.map(({ topic, partition, offset }) => `${topic}/${partition}@${offset}`));
      return offsets.map(() => true);
    },
  };
  return consumer as unknown as Consumer;
}

/** A changelog with nothing past the store's checkpoint. */
const transport = {
  endOffsets: async () => [{ partition: 0, offset: '1' }],
  readPartitions: async () => [{ partition: 0, end: '1', outOfRange: false }],
} as unknown as Transport;

async function resumed(committed: string | null, stored: string): Promise<{ manager: TaskManager; commits: string[] }> {
  const backend = new MemoryBackend();
  await backend.apply([{ key: metaKey('input-positions'), value: Buffer.from(JSON.stringify({ words: stored })) }], 1);
  const commits: string[] = [];
  const manager = new TaskManager({
    transport,
    logger: silentLogger,
    groupId: 'g',
    idPrefix: 't.count',
    topics: ['words'],
    repartitionTopics: [],
    stores: [{ name: 'aggregate', changelog: 't.count.aggregate-changelog' }],
    openBackend: async () => backend,
    exactlyOnce: false,
    changelogProducer: async () => {
      throw new Error('nothing changed, so nothing is written');
    },
  });
  manager.attach(consumerAt(committed, commits));
  await manager.assign([{ topic: 'words', partitions: [0] }]);
  return { manager, commits };
}

describe('resuming a task from the positions its stores hold', () => {
  it('commits the stored position when it is ahead of the committed offset, with no record read', async () => {
    const { manager, commits } = await resumed('4', '10');
    expect(manager.task(0)!.floors.get('words')).toBe(10n);
    await manager.commit();
    expect(commits).toEqual(['words/0@10']);
  });

  it('commits the stored position of a group that never committed', async () => {
    const { manager, commits } = await resumed(null, '7');
    await manager.commit();
    expect(commits).toEqual(['words/0@7']);
  });

  it('commits nothing when the group is already there', async () => {
    const { manager, commits } = await resumed('10', '10');
    await manager.commit();
    expect(commits).toEqual([]);
  });
});
