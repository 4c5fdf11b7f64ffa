/**
 * A repartition topic keeps its records forever, so its reader deletes what
 * its group has committed: only of repartition topics, only after a commit
 * that went through, at most every PURGE_INTERVAL_MS, and once more when the
 * stage stops. A purge that fails is a warning: the commit and the tasks go on.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { PURGE_INTERVAL_MS, TaskManager } from '../../../src/runtime/task/task-manager.ts';
import type { Consumer, OffsetCommit, PartitionLogStart, Transport } from '../../../src/transport/index.ts';

const REPARTITION = 't.count.repartition';
const INPUT = 'events';

interface Cluster {
  committed: Map<string, string>;
  deletes: string[];
  commitFails: boolean;
  deleteFails: boolean;
  warnings: string[];
}

function cluster(): Cluster {
  return { committed: new Map(), deletes: [], commitFails: false, deleteFails: false, warnings: [] };
}

function consumerOf(c: Cluster): Consumer {
  const consumer = {
    owns: () => true,
    position: () => undefined,
    commit: async (offsets: readonly OffsetCommit[]) => {
      if (c.commitFails) throw new Error('The coordinator is loading');
      for (const { topic, partition, offset } of offsets) c.committed.set(`${topic}/${partition}`, offset);
      return offsets.map(() => true);
    },
    committedOffsets: async (topic: string) => [0, 1].map((partition) => ({ partition, offset: c.committed.get(`${topic}/${partition}`) ?? null })),
  };
  return consumer as unknown as Consumer;
}

function transportOf(c: Cluster): Transport {
  const transport = {
    deleteRecordsBefore: async (topic: string, starts: readonly PartitionLogStart[]) => {
      if (c.deleteFails) throw new Error('The broker is not available');
      c.deletes.push(`${topic} ${starts.map((s) => `${s.partition}@${s.offset}`).join(' ')}`);
    },
  };
  return transport as unknown as Transport;
}

async function reading(c: Cluster): Promise<{ tasks: TaskManager; read: (upTo: number) => void }> {
  const noStores = (): never => {
    throw new Error('these tasks keep no stores');
  };
  const logger = pino({ level: 'warn' }, { write: (line: string) => void c.warnings.push((JSON.parse(line) as { msg: string }).msg) });
  const tasks = new TaskManager({
    transport: transportOf(c),
    logger,
    groupId: 'g',
    idPrefix: 't.count.window',
    topics: [INPUT, REPARTITION],
    repartitionTopics: [REPARTITION],
    stores: [],
    openBackend: noStores,
    exactlyOnce: false,
  });
  tasks.attach(consumerOf(c));
  await tasks.assign([{ topic: INPUT, partitions: [0, 1] }, { topic: REPARTITION, partitions: [0, 1] }]);
  let next = 0;
  const read = (upTo: number) => {
    for (; next < upTo; next++) {
      for (const topic of [INPUT, REPARTITION]) {
        for (const partition of [0, 1]) {
          tasks.track(tasks.task(partition)!, { topic, partition, offset: String(next), key: null, value: null, headers: {}, timestamp: 0 })!.done();
        }
      }
    }
  };
  return { tasks, read };
}

/** A purge runs beside the commit that started it: let it finish. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('purging committed repartition records', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('deletes what was committed of repartition topics only, at most once an interval, and once more at the end', async () => {
    const c = cluster();
    const { tasks, read } = await reading(c);
    read(3);
    await tasks.commit();
    await settled();
    expect(c.deletes).toEqual([]); // the first interval has not passed

    vi.advanceTimersByTime(PURGE_INTERVAL_MS);
    read(5);
    await tasks.commit();
    await settled();
    expect(c.deletes).toEqual([`${REPARTITION} 0@5 1@5`]);

    read(8);
    await tasks.commit();
    await settled();
    expect(c.deletes).toHaveLength(1); // within the interval again

    await tasks.close();
    expect(c.deletes).toEqual([`${REPARTITION} 0@5 1@5`, `${REPARTITION} 0@8 1@8`]);
    expect(c.warnings).toEqual([]);
  });

  it('purges only after a commit that went through, and a failed purge fails neither the commit nor the tasks', async () => {
    const c = cluster();
    const { tasks, read } = await reading(c);
    read(2);
    await tasks.commit();
    vi.advanceTimersByTime(PURGE_INTERVAL_MS);
    read(4);
    c.commitFails = true;
    await tasks.commit();
    await settled();
    expect(c.deletes).toEqual([]);

    c.commitFails = false;
    c.deleteFails = true;
    await tasks.commit();
    await settled();
    expect(c.committed.get(`${REPARTITION}/0`)).toBe('4');
    expect(c.warnings).toEqual(['commit failed; will retry at the next interval', 'deleting committed repartition records failed; the next purge deletes them']);
    expect([...tasks.tasks.keys()].sort()).toEqual([0, 1]);

    c.deleteFails = false;
    await tasks.close();
    expect(c.deletes).toEqual([`${REPARTITION} 0@4 1@4`]);
  });
});
