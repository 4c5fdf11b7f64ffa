/**
 * Records of a partition being given up must stay out of every later
 * transaction of the instance giving it up: their outputs would be committed
 * without their offsets (which belong to the next owner now), and that owner
 * would write them again. Found by the reliability scenario that SIGKILLs
 * exactly-once instances (test/reliability/s1-sigkill.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/core/index.ts';
import type { Envelope } from '../../../src/runtime/envelope.ts';
import { TaskManager } from '../../../src/runtime/task/task-manager.ts';
import { TransactionalSink } from '../../../src/runtime/sinks/transactional.ts';
import type { OutgoingRecord, TransactionOffsets, Transport } from '../../../src/transport/index.ts';

interface Txn {
  id: string;
  records: string[];
  offsets: string[];
}

function fakeTransport(log: Txn[], created: string[]): Transport {
  const transport = {
    transactionalProducer: async (id: string) => {
      created.push(id);
      return {
        transact: async (records: readonly OutgoingRecord[], offsets: readonly TransactionOffsets[]) => {
          log.push({ id, records: records.map((r) => String(r.value)), offsets: offsets.map((o) => o.offset) });
        },
        close: async () => undefined,
      };
    },
  };
  return transport as unknown as Transport;
}

const noDeadLetters = (): never => {
  throw new Error('no record is refused in these tests');
};

function manager(transport: Transport): TaskManager {
  const noStores = (): never => {
    throw new Error('these tasks keep no stores');
  };
  return new TaskManager({ transport, logger: silentLogger, groupId: 'g', idPrefix: 't.n', topics: ['in'], repartitionTopics: [], stores: [], openBackend: noStores, exactlyOnce: true });
}

function envelope(tasks: TaskManager, partition: number, offset: number): Envelope {
  const consumed = { topic: 'in', partition, offset: String(offset), key: null, value: null, headers: {}, timestamp: 0 };
  const task = tasks.task(partition)!;
  const token = tasks.track(task, consumed)!;
  const record = { topic: 'out', key: null, value: `p${partition}@${offset}`, headers: {}, timestamp: 0 };
  return { record, token, task, origin: { topic: 'in', partition, offset: String(offset), rawKey: null, rawValue: null, rawHeaders: {}, timestamp: 0 } };
}

function write(sink: TransactionalSink, env: Envelope): Promise<void> {
  return new Promise((resolve, reject) => sink.write(env, (err) => (err ? reject(err) : resolve())));
}

describe('TaskManager with a TransactionalSink', () => {
  it('commits what a revoked task holds, then keeps later records of it out of every transaction', async () => {
    const log: Txn[] = [];
    const tasks = manager(fakeTransport(log, []));
    await tasks.assign([{ topic: 'in', partitions: [0, 1] }]);
    const sink = new TransactionalSink({ tasks, groupId: 'g', logger: silentLogger, lingerMs: 60_000, deadLetterOf: noDeadLetters });
    await write(sink, envelope(tasks, 0, 0));
    await write(sink, envelope(tasks, 1, 0));
    const late = envelope(tasks, 0, 1); // read before the revoke, reaching the sink after it

    await tasks.revoke([{ topic: 'in', partitions: [0] }]);
    expect(log).toEqual([{ id: 't.n.0', records: ['p0@0'], offsets: ['1'] }]);
    expect(late.token!.revoked).toBe(true);
    expect(tasks.task(0)).toBeUndefined();
    expect(tasks.track(late.task!, { topic: 'in', partition: 0, offset: '2', key: null, value: null, headers: {}, timestamp: 0 })).toBeUndefined();

    await write(sink, late);
    await sink.flushAll();
    expect(log.slice(1)).toEqual([{ id: 't.n.1', records: ['p1@0'], offsets: ['1'] }]);
    expect(late.token!.remaining).toBe(1); // never settled: nothing commits past it
  });

  it('opens the producers of arriving tasks before any record (fencing their previous owner)', async () => {
    const created: string[] = [];
    const tasks = manager(fakeTransport([], created));
    await tasks.assign([{ topic: 'in', partitions: [2, 0] }]);
    expect(created).toEqual(['t.n.2', 't.n.0']);
    await tasks.assign([{ topic: 'in', partitions: [2, 0, 1] }]);
    expect(created).toEqual(['t.n.2', 't.n.0', 't.n.1']); // a task kept over a rebalance keeps its producer
  });
});
