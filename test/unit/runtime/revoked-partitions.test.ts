/**
 * Records of a partition being given up must stay out of every later
 * transaction of the instance giving it up: their outputs would be committed
 * without their offsets (which belong to the next owner now), and that owner
 * would write them again. Found by the reliability scenario that SIGKILLs
 * exactly-once instances (test/reliability/s1-sigkill.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { envelope, fakeTransport, manager, transactionalSink, write } from './transactional-harness.ts';

describe('TaskManager with a TransactionalSink', () => {
  it('commits what a revoked task holds, then keeps later records of it out of every transaction', async () => {
    const { transport, log } = fakeTransport();
    const tasks = manager(transport);
    await tasks.assign([{ topic: 'in', partitions: [0, 1] }]);
    const sink = transactionalSink(tasks);
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
    const { transport, created } = fakeTransport();
    const tasks = manager(transport);
    await tasks.assign([{ topic: 'in', partitions: [2, 0] }]);
    expect(created).toEqual(['t.n.2', 't.n.0']);
    await tasks.assign([{ topic: 'in', partitions: [2, 0, 1] }]);
    expect(created).toEqual(['t.n.2', 't.n.0', 't.n.1']); // a task kept over a rebalance keeps its producer
  });
});
