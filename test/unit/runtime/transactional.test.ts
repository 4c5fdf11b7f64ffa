import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Logger } from '../../../src/core/index.ts';
import { PartitionWatermark } from '../../../src/runtime/offsets.ts';
import { completeUpTo } from '../../../src/runtime/sinks/transactional.ts';
import { CachedStore, openBackend } from '../../../src/state/index.ts';
import { envelope, fakeTransport, manager, transactionalSink, write } from './transactional-harness.ts';

const partition0 = [{ topic: 'in', partitions: [0] }];

/** A task manager owning partition 0 of `in`, and its exactly-once sink lingering 100 ms. */
async function owningPartition0(logger?: Logger) {
  const fake = fakeTransport();
  const tasks = manager(fake.transport);
  await tasks.assign(partition0);
  return { fake, log: fake.log, tasks, sink: transactionalSink(tasks, { lingerMs: 100, ...(logger !== undefined ? { logger } : {}) }) };
}

describe('completeUpTo', () => {
  it('cuts a transaction only where every input in it is finished', () => {
    const mark = new PartitionWatermark('in', 0);
    const a = mark.track(0n);
    const b = mark.track(1n);
    const c = mark.track(2n);
    b.fanOut(3); // b produced three outputs; only two are in this batch
    const entries = [{ token: a }, { token: b }, { token: b }, { token: c }];
    expect(completeUpTo(entries)).toBe(1); // b straddles: b and everything after waits
    expect(completeUpTo([...entries.slice(1, 3), { token: b }])).toBe(3);
    expect(completeUpTo([{ token: undefined }, { token: a }])).toBe(2);
    expect(completeUpTo([])).toBe(0);
  });
});

describe('the exactly-once sink on a clock of its own', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drops the batch of a lost task, timer and all: nothing of it is committed later', async () => {
    const { log, tasks, sink } = await owningPartition0();
    await write(sink, envelope(tasks, 0, 0));
    expect(vi.getTimerCount()).toBe(1);

    tasks.lost(partition0);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(log).toEqual([]); // the next owner re-reads offset 0 and writes p0@0 itself
    sink.destroy();
  });

  it('arms no timer again for what a revoked task could not commit (a record whose other output never came)', async () => {
    const { log, tasks, sink } = await owningPartition0();
    const split = envelope(tasks, 0, 0);
    split.token!.fanOut(2);
    await write(sink, split);

    await tasks.revoke(partition0);
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(vi.getTimerCount()).toBe(0);
    expect(log).toEqual([]);
    sink.destroy();
  });

  it('arms no timer once destroyed, though a transaction was under way then', async () => {
    const { fake, tasks, sink } = await owningPartition0();
    await write(sink, envelope(tasks, 0, 0));
    const split = envelope(tasks, 0, 1);
    split.token!.fanOut(2);
    await write(sink, split); // one of its two outputs: it waits in the batch

    const release = fake.holdNext();
    const flushed = sink.flush();
    await vi.advanceTimersByTimeAsync(0);
    sink.destroy();
    release();
    await flushed;
    expect(fake.log).toEqual([{ id: 't.n.0', records: ['p0@0'], offsets: ['1'] }]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('warns every 30 s while state changes wait for the outputs of their records, not before', async () => {
    const warnings: Array<{ msg: string; partition: number; waitedMs: number; batched: number }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(JSON.parse(line)) });
    const { log, tasks, sink } = await owningPartition0(logger);
    const task = tasks.task(0)!;
    task.stores.push({ name: 'counts', store: new CachedStore(await openBackend({ kind: 'memory' })), changelog: 'c', next: 0 });
    const env = envelope(tasks, 0, 0);
    env.token!.fanOut(3); // two outputs and its share of the state: one output never reaches the sink
    task.hold(env.token);
    await write(sink, env);

    // The first wait starts when the linger fires, at 100 ms.
    await vi.advanceTimersByTimeAsync(30_099);
    expect(warnings).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(warnings).toEqual([expect.objectContaining({ partition: 0, waitedMs: 30_000, batched: 1, msg: expect.stringContaining('state changes still wait') })]);
    await vi.advanceTimersByTimeAsync(29_999);
    expect(warnings).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(warnings).toHaveLength(2);
    expect(log).toEqual([]);
    sink.destroy();
  });
});
