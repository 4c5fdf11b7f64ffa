import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, type SluiceError } from '../../../src/core/index.ts';
import { builtinAggregator, defineAggregator, type Aggregator, type WindowedAggregate } from '../../../src/processors/index.ts';
import { CachedStore, openBackend } from '../../../src/state/index.ts';
import type { Envelope } from '../../../src/runtime/envelope.ts';
import { PartitionWatermark } from '../../../src/runtime/offsets.ts';
import { WindowStream } from '../../../src/runtime/steps/window.ts';
import { Task, applySnapshot } from '../../../src/runtime/task/task.ts';

const MIN = 60_000;

interface Input {
  t: number;
  key: string;
  n?: number;
  task?: Task;
}

async function taskWithStore(id = 0): Promise<Task> {
  const task = new Task(id, [], () => undefined);
  task.stores.push({ name: 'aggregate', store: new CachedStore(await openBackend({ kind: 'memory' })), changelog: 'c', next: 0 });
  return task;
}

/** Runs `inputs` through a window stream over `task`'s store; `onEnd` runs once they are all in, before the stream ends. */
async function runWindow(
  spec: WindowedAggregate,
  inputs: Input[],
  task: Task,
  options: { mark?: PartitionWatermark; onEnd?: (w: WindowStream) => void; aggregator?: Aggregator } = {},
) {
  const late: Array<[SluiceError, Envelope]> = [];
  const out: Envelope[] = [];
  const stream = new WindowStream({
    spec,
    aggregator: options.aggregator ?? builtinAggregator(spec.aggregate as never),
    onError: async (err, env) => {
      late.push([err, env]);
      env.token?.done();
    },
    single: task,
  });
  const envelopes: Envelope[] = inputs.map((i, n) => ({
    record: { key: null, value: { page: i.key, n: i.n ?? 1 }, headers: {}, timestamp: i.t },
    token: options.mark?.track(BigInt(n)),
    task: i.task,
    origin: { rawKey: null, rawValue: null, rawHeaders: {}, timestamp: i.t },
  }));
  async function* feed() {
    yield* envelopes;
    options.onEnd?.(stream);
  }
  await pipeline(Readable.from(feed()), stream, new Writable({ objectMode: true, write: (e: Envelope, _x, cb) => (out.push(e), cb()) }));
  return { out, late, values: out.map((e) => e.record.value) };
}

/** Tumbling counts computed independently: the windows that stream time closed, ignoring records later than grace. */
function expectedTumbling(inputs: Input[], size: number, grace: number) {
  let streamTime = -Infinity;
  const counts = new Map<string, number>();
  for (const i of inputs) {
    const start = Math.floor(i.t / size) * size;
    if (streamTime >= start + size + grace) continue; // late
    streamTime = Math.max(streamTime, i.t);
    const id = `${i.key}@${start}`;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  for (const id of [...counts.keys()]) if (Number(id.split('@')[1]) + size + grace > streamTime) counts.delete(id);
  return counts;
}

describe('WindowStream', () => {
  it("dead-letters the record whose user accumulator cannot be stored, and goes on with the others", async () => {
    const spec: WindowedAggregate = { window: { kind: 'tumbling', sizeMs: MIN, graceMs: 0 }, key: 'page', aggregate: { kind: 'module', module: './agg.ts', export: 'default' } };
    // A record with n = 0 makes an accumulator with a function inside: structured clone refuses it.
    const aggregator = defineAggregator<{ n: number }, unknown>({
      init: () => 0,
      add: (acc, v) => (v.n === 0 ? { bad: () => acc } : (acc as number) + 1),
      result: (acc) => acc,
    }) as Aggregator;
    const inputs: Input[] = [{ t: 0, key: 'a' }, { t: 1_000, key: 'a', n: 0 }, { t: 2_000, key: 'a' }, { t: 2 * MIN, key: 'b' }];
    const { values, late } = await runWindow(spec, inputs, await taskWithStore(), { aggregator });
    expect(late.map(([err, env]) => [err.code, env.record.timestamp])).toEqual([[ErrorCodes.PROCESSOR, 1_000]]);
    expect(values).toEqual([{ key: 'a', start: 0, end: MIN, value: 2 }]);
  });

  it('counts per key in tumbling windows on event time, with out-of-order records inside grace and late ones dead-lettered', async () => {
    const inputs: Input[] = [
      { t: 0, key: 'a' },
      { t: 10_000, key: 'b' },
      { t: 59_000, key: 'a' },
      { t: 61_000, key: 'a' }, // stream time 61s: window [0,60) still open (grace 5s)
      { t: 30_000, key: 'a' }, // out of order, inside grace
      { t: 66_000, key: 'b' }, // stream time 66s closes [0,60)
      { t: 20_000, key: 'a' }, // late: [0,60) closed at 65s
      { t: 3 * MIN, key: 'b' }, // closes [60s,120s)
    ];
    const spec: WindowedAggregate = { window: { kind: 'tumbling', sizeMs: MIN, graceMs: 5_000 }, key: 'page', aggregate: { kind: 'count' } };
    const { values, late } = await runWindow(spec, inputs, await taskWithStore());
    const got = new Map(values.map((v) => { const r = v as { key: string; start: number; value: number }; return [`${r.key}@${r.start}`, r.value]; }));
    expect(got).toEqual(expectedTumbling(inputs, MIN, 5_000));
    expect(got.get('a@0')).toBe(3);
    expect(got.has('b@180000')).toBe(false); // still open: the end of the input closes nothing
    expect(late).toHaveLength(1);
    expect(late[0]![0]).toMatchObject({ code: ErrorCodes.LATE_RECORD, context: { lateness: 1_000 } });
    expect(late[0]![1].record.timestamp).toBe(20_000);
  });

  it('emits each closed window once stream time passes it, and deletes it from the store', async () => {
    const spec: WindowedAggregate = { window: { kind: 'tumbling', sizeMs: MIN, graceMs: 0 }, key: 'page', aggregate: { kind: 'sum', field: 'n' } };
    const task = await taskWithStore();
    let open: unknown[] = [];
    const { values } = await runWindow(spec, [{ t: 1, key: 'a', n: 2 }, { t: 2, key: 'a', n: 3 }, { t: MIN, key: 'a', n: 10 }], task, { onEnd: (w) => (open = w.query(task, 'a')) });
    expect(values).toEqual([{ key: 'a', start: 0, end: MIN, value: 5 }]);
    expect(open).toEqual([{ key: 'a', start: MIN, end: 2 * MIN, value: 10 }]);
  });

  it('keeps open windows across a stop: a second stream over the same store gives one result, of all records', async () => {
    // The case: 3 records, stop; 2 more in the same minute and one two minutes later.
    const spec: WindowedAggregate = { window: { kind: 'tumbling', sizeMs: MIN, graceMs: 0 }, key: 'page', aggregate: { kind: 'count' } };
    const task = await taskWithStore();
    const first = await runWindow(spec, [{ t: 1_000, key: 'p' }, { t: 2_000, key: 'p' }, { t: 3_000, key: 'p' }], task);
    expect(first.values).toEqual([]);
    const second = await runWindow(spec, [{ t: 4_000, key: 'p' }, { t: 5_000, key: 'p' }, { t: 3 * MIN, key: 'p' }], task);
    expect(second.values).toEqual([{ key: 'p', start: 0, end: MIN, value: 5 }]);
  });

  it('puts a record in every overlapping hopping window', async () => {
    const spec: WindowedAggregate = { window: { kind: 'hopping', sizeMs: 2 * MIN, advanceMs: MIN, graceMs: 0 }, key: 'page', aggregate: { kind: 'count' } };
    const { values } = await runWindow(spec, [{ t: 90_000, key: 'x' }, { t: 150_000, key: 'x' }, { t: 10 * MIN, key: 'y' }], await taskWithStore());
    expect(values).toEqual([
      { key: 'x', start: 0, end: 2 * MIN, value: 1 },
      { key: 'x', start: MIN, end: 3 * MIN, value: 2 },
      { key: 'x', start: 2 * MIN, end: 4 * MIN, value: 1 },
    ]);
  });

  it('keeps stream time per task, so one partition running ahead makes no other late', async () => {
    const spec: WindowedAggregate = { window: { kind: 'tumbling', sizeMs: MIN, graceMs: 0 }, key: 'page', aggregate: { kind: 'count' } };
    const [a, b] = [await taskWithStore(0), await taskWithStore(1)];
    const { late, values } = await runWindow(spec, [{ t: 5 * MIN, key: 'a', task: a }, { t: 1_000, key: 'a', task: b }, { t: 2 * MIN, key: 'a', task: b }], a);
    expect(late).toHaveLength(0);
    expect(values).toEqual([{ key: 'a', start: 0, end: MIN, value: 1 }]);
  });

  it('holds a share of each input until its task writes its changes, and one per result until acknowledged', async () => {
    const mark = new PartitionWatermark('t', 0);
    const task = await taskWithStore();
    const spec: WindowedAggregate = { window: { kind: 'tumbling', sizeMs: MIN, graceMs: 0 }, key: 'page', aggregate: { kind: 'count' } };
    const { out } = await runWindow(spec, [{ t: 0, key: 'a' }, { t: 1, key: 'b' }, { t: MIN, key: 'a' }], task, { mark });
    expect(out).toHaveLength(2); // [0,60s) of a and b, closed by the third record
    expect(mark.committable()).toBeUndefined();
    const snapshot = task.snapshot()!;
    expect(snapshot.held).toHaveLength(3);
    await applySnapshot(snapshot);
    for (const token of snapshot.held) token.done();
    expect(mark.committable()).toBe(2n); // 0 and 1 are in the store; 2 closed windows whose results are not acknowledged
    for (const e of out) e.token!.done();
    expect(mark.committable()).toBe(3n);
  });

  it('emits the changed aggregates of a global window on commit (its snapshot, and the last one at the end), each change once', async () => {
    const spec: WindowedAggregate = { window: { kind: 'global' }, key: 'page', aggregate: { kind: 'count' } };
    const task = await taskWithStore();
    const { values } = await runWindow(spec, [{ t: 5, key: 'a' }, { t: 1, key: 'b' }, { t: 9, key: 'a' }], task, { onEnd: (w) => w.beforeSnapshot(task) });
    expect(values).toEqual([
      { key: 'a', value: 2 },
      { key: 'b', value: 1 },
    ]);
    // A stream that ends commits once more: only what changed since goes out.
    const later = await runWindow(spec, [{ t: 12, key: 'a' }], task);
    expect(later.values).toEqual([{ key: 'a', value: 3 }]);
  });
});
