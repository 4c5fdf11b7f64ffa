/**
 * The commit at the end of a run has no next interval to make up for a
 * failure: what it leaves uncommitted is read twice. Seen as
 * a cron run that re-read 38 of its 100 records on a loaded CI machine.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import { TaskManager } from '../../../src/runtime/task/task-manager.ts';
import type { Consumer, OffsetCommit, Transport } from '../../../src/transport/index.ts';

function flakyConsumer(failures: number, commits: string[]): Consumer {
  let left = failures;
  const consumer = {
    owns: () => true,
    position: () => undefined,
    commit: async (offsets: readonly OffsetCommit[]) => {
      if (left-- > 0) throw new Error('The group is rebalancing, so a rejoin is needed');
      commits.push(offsets.map(({ topic, partition, offset }) => `${topic}/${partition}@${offset}`).join(' '));
      return offsets.map(() => true);
    },
  };
  return consumer as unknown as Consumer;
}

function manager(consumer: Consumer): TaskManager {
  const noStores = (): never => {
    throw new Error('these tasks keep no stores');
  };
  const tasks = new TaskManager({ transport: {} as Transport, logger: silentLogger, groupId: 'g', idPrefix: 't.n', topics: ['in'], repartitionTopics: [], stores: [], openBackend: noStores, exactlyOnce: false });
  tasks.attach(consumer);
  return tasks;
}

async function readAndFinish(tasks: TaskManager, offsets: number): Promise<void> {
  await tasks.assign([{ topic: 'in', partitions: [0] }]);
  for (let offset = 0; offset < offsets; offset++) {
    tasks.track(tasks.task(0)!, { topic: 'in', partition: 0, offset: String(offset), key: null, value: null, headers: {}, timestamp: 0 })!.done();
  }
}

describe('the final commit', () => {
  it('is tried again when it fails, so a clean stop leaves nothing to read twice', async () => {
    const commits: string[] = [];
    const tasks = manager(flakyConsumer(2, commits));
    await readAndFinish(tasks, 3);
    await tasks.close();
    expect(commits).toEqual(['in/0@3']);
  });

  it('an interval commit that fails waits for the next interval, and does not block the ones after it', async () => {
    const commits: string[] = [];
    const tasks = manager(flakyConsumer(1, commits));
    await readAndFinish(tasks, 2);
    await tasks.commit();
    expect(commits).toEqual([]);
    await tasks.commit();
    expect(commits).toEqual(['in/0@2']);
  });
});
