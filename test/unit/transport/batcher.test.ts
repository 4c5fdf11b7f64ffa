import { describe, expect, it } from 'vitest';
import { Batcher } from '../../../src/transport/batcher.ts';
import { recordRefused, refusedRecords } from '../../../src/transport/refused.ts';
import type { OutgoingRecord } from '../../../src/transport/types.ts';

const rec = (i: number, bytes = 1): OutgoingRecord => ({ topic: 't', key: null, value: Buffer.alloc(bytes, i) });

function recording(fail?: (batch: OutgoingRecord[]) => boolean) {
  const batches: number[][] = [];
  let active = 0;
  let most = 0;
  const dispatch = async (records: OutgoingRecord[]) => {
    active++;
    most = Math.max(most, active);
    await new Promise((r) => setImmediate(r));
    active--;
    batches.push(records.map((r) => (r.value as Buffer)[0]!));
    if (fail?.(records)) throw new Error('broker said no');
    return [];
  };
  return { batches, dispatch, most: () => most };
}

describe('Batcher', () => {
  it('cuts batches by count and dispatches them one at a time, in order', async () => {
    const r = recording();
    const b = new Batcher(r.dispatch, { batchCount: 3, batchBytes: 1e9, lingerMs: 1e6 });
    const sent = b.add(Array.from({ length: 8 }, (_, i) => rec(i)));
    await b.flush();
    await sent;
    expect(r.batches).toEqual([[0, 1, 2], [3, 4, 5], [6, 7]]);
    expect(r.most()).toBe(1);
  });

  it('lets a small remainder join the batch still waiting for its turn, not cost a request', async () => {
    const r = recording();
    const b = new Batcher(r.dispatch, { batchCount: 4, batchBytes: 1e9, lingerMs: 1e6 });
    const sent = b.add(Array.from({ length: 10 }, (_, i) => rec(i)));
    await b.flush();
    await sent;
    // [0..3] went at once; [4..7] waited for it, and [8, 9] (half a batch) joined it.
    expect(r.batches).toEqual([[0, 1, 2, 3], [4, 5, 6, 7, 8, 9]]);
  });

  it('cuts batches by bytes', async () => {
    const r = recording();
    const b = new Batcher(r.dispatch, { batchCount: 1e9, batchBytes: 2 * (100 + 16), lingerMs: 1e6 });
    await Promise.all([b.add([rec(0, 100), rec(1, 100), rec(2, 100)]), b.flush()]);
    expect(r.batches).toEqual([[0, 1], [2]]);
  });

  it('sends a lingering batch when its time is up, joining calls made meanwhile', async () => {
    const r = recording();
    const b = new Batcher(r.dispatch, { batchCount: 100, batchBytes: 1e9, lingerMs: 5 });
    await Promise.all([b.add([rec(0)]), b.add([rec(1), rec(2)])]);
    expect(r.batches).toEqual([[0, 1, 2]]);
  });

  it('fails the callers of a failed batch only, goes on with later ones, and reports it at flush', async () => {
    const r = recording((batch) => (batch[0]!.value as Buffer)[0] === 2);
    const b = new Batcher(r.dispatch, { batchCount: 2, batchBytes: 1e9, lingerMs: 1e6 });
    const first = b.add([rec(0), rec(1)]);
    const second = b.add([rec(2), rec(3)]);
    const third = b.add([rec(4), rec(5)]);
    await expect(first).resolves.toBeUndefined();
    await expect(second).rejects.toThrow('broker said no');
    await expect(third).resolves.toBeUndefined();
    await expect(b.flush()).rejects.toThrow('broker said no');
    await expect(b.flush()).resolves.toBeUndefined();
  });

  it('rejects only the callers whose records were refused, with their own indices; the batch counts as sent', async () => {
    const refuse = new Set([3, 6]);
    const b = new Batcher(
      async (records) =>
        records.filter((r) => refuse.has((r.value as Buffer)[0]!)).map((record) => ({ record, error: recordRefused('MESSAGE_TOO_LARGE', 'too big', { topic: 't', partition: 0 }) })),
      { batchCount: 100, batchBytes: 1e9, lingerMs: 1e6 },
    );
    const calls = [b.add([rec(0), rec(1)]), b.add([rec(2), rec(3), rec(4)]), b.add([rec(5), rec(6)])];
    await b.flush();
    const outcomes = await Promise.allSettled(calls);
    expect(outcomes[0]!.status).toBe('fulfilled');
    expect(outcomes.slice(1).map((o) => refusedRecords((o as PromiseRejectedResult).reason)?.map((r) => [r.index, r.error.context.brokerError]))).toEqual([
      [[1, 'MESSAGE_TOO_LARGE']],
      [[1, 'MESSAGE_TOO_LARGE']],
    ]);
    await expect(b.flush()).resolves.toBeUndefined();
  });
});
