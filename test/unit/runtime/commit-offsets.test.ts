/**
 * A commit is one request for every partition it covers (a commit's cost is
 * its round trip), and a partition the consumer refuses (not ours any more)
 * drops its own task only.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { TaskManager } from '../../../src/runtime/task/task-manager.ts';
import type { Consumer, OffsetCommit, Transport } from '../../../src/transport/index.ts';

function recordingConsumer(requests: string[][], refused: ReadonlySet<number>): Consumer {
  const consumer = {
    owns: () => true,
    position: () => undefined,
    // Nothing committed yet: two input topics make the task manager ask on assignment.
    committedOffsets: async () => [],
    commit: async (offsets: readonly OffsetCommit[]) => {
      requests.push(offsets.map(({ topic, partition, offset }) => `${topic}/${partition}@${offset}`));
      return offsets.map(({ partition }) => !refused.has(partition));
    },
  };
  return consumer as unknown as Consumer;
}

async function readThree(consumer: Consumer): Promise<TaskManager> {
  const noStores = (): never => {
    throw new Error('these tasks keep no stores');
  };
  const tasks = new TaskManager({ transport: {} as Transport, logger: silentLogger, groupId: 'g', idPrefix: 't.n', topics: ['a', 'b'], repartitionTopics: [], stores: [], openBackend: noStores, exactlyOnce: false });
  tasks.attach(consumer);
  await tasks.assign([{ topic: 'a', partitions: [0, 1, 2] }, { topic: 'b', partitions: [0, 1, 2] }]);
  for (const topic of ['a', 'b']) {
    for (let partition = 0; partition < 3; partition++) {
      for (let offset = 0; offset <= partition; offset++) {
        tasks.track(tasks.task(partition)!, { topic, partition, offset: String(offset), key: null, value: null, headers: {}, timestamp: 0 })!.done();
      }
    }
  }
  return tasks;
}

describe('committing offsets', () => {
  it('sends every partition of every task in one request', async () => {
    const requests: string[][] = [];
    const tasks = await readThree(recordingConsumer(requests, new Set()));
    await tasks.commit();
    expect(requests).toHaveLength(1);
    expect([...requests[0]!].sort()).toEqual(['a/0@1', 'a/1@2', 'a/2@3', 'b/0@1', 'b/1@2', 'b/2@3']);
    expect(tasks.committed).toBe(6);
    await tasks.commit();
    expect(requests).toHaveLength(1);
  });

  it('drops the task of a refused partition and keeps the others', async () => {
    const requests: string[][] = [];
    const tasks = await readThree(recordingConsumer(requests, new Set([1])));
    await tasks.commit();
    expect([...tasks.tasks.keys()].sort()).toEqual([0, 2]);
    expect(tasks.committed).toBe(4);
  });
});
