import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, type SluiceError } from '../../../src/core/index.ts';
import { builtinAggregator, type WindowedAggregate } from '../../../src/processors/index.ts';
import type { Envelope } from '../../../src/runtime/envelope.ts';
import { PartitionWatermark } from '../../../src/runtime/offsets.ts';
import { WindowStream } from '../../../src/runtime/window.ts';

const MIN = 60_000;

interface Input {
  t: number;
  key: string;
  n?: number;
  partition?: number;
}

async function runWindow(spec: WindowedAggregate, inputs: Input[], mark?: PartitionWatermark) {
  const late: Array<[SluiceError, Envelope]> = [];
  const out: Envelope[] = [];
  const stream = new WindowStream({
    spec,
    aggregator: builtinAggregator(spec.aggregate as never),
    onError: async (err, env) => {
      late.push([err, env]);
      env.token?.done();
    },
  });
  const envelopes: Envelope[] = inputs.map((i, n) => ({
    record: { key: null, value: { page: i.key, n: i.n ?? 1 }, headers: {}, timestamp: i.t, partition: i.partition ?? 0 },
    token: mark?.track(BigInt(n)),
    origin: { rawKey: null, rawValue: null, rawHeaders: {}, timestamp: i.t },
  }));
  await pipeline(
    Readable.from(envelopes),
    stream,
    new Writable({ objectMode: true, write: (e: Envelope, _x, cb) => (out.push(e), cb()) }),
  );
  return { out, late, values: out.map((e) => e.record.value) };
}

/** Counts computed independently: per key and tumbling window, ignoring records later than grace. */
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
  return counts;
}

describe('WindowStream', () => {
  it('counts per key in tumbling windows on event time, with out-of-order records inside grace and late ones dead-lettered', async () => {
    const inputs: Input[] = [
      { t: 0, key: 'a' },
      { t: 10_000, key: 'b' },
      { t: 59_000, key: 'a' },
      { t: 61_000, key: 'a' }, // stream time 61s: window [0,60) still open (grace 5s)
      { t: 30_000, key: 'a' }, // out of order, inside grace
      { t: 66_000, key: 'b' }, // stream time 66s closes [0,60)
      { t: 20_000, key: 'a' }, // late: [0,60) closed at 65s
      { t: 3 * MIN, key: 'b' },
    ];
    const spec: WindowedAggregate = { window: { kind: 'tumbling', sizeMs: MIN, graceMs: 5_000 }, key: 'page', aggregate: { kind: 'count' } };
    const { values, late } = await runWindow(spec, inputs);
    const got = new Map(values.map((v) => { const r = v as { key: string; start: number; value: number }; return [`${r.key}@${r.start}`, r.value]; }));
    expect(got).toEqual(expectedTumbling(inputs, MIN, 5_000));
    expect(got.get('a@0')).toBe(3);
    expect(late).toHaveLength(1);
    expect(late[0]![0]).toMatchObject({ code: ErrorCodes.LATE_RECORD, context: { lateness: 1_000 } });
    expect(late[0]![1].record.timestamp).toBe(20_000);
  });

  it('emits each closed window as soon as stream time passes it, before later input', async () => {
    const spec: WindowedAggregate = { window: { kind: 'tumbling', sizeMs: MIN, graceMs: 0 }, key: 'page', aggregate: { kind: 'sum', field: 'n' } };
    const { values } = await runWindow(spec, [
      { t: 1, key: 'a', n: 2 },
      { t: 2, key: 'a', n: 3 },
      { t: MIN, key: 'a', n: 10 },
    ]);
    expect(values).toEqual([
      { key: 'a', start: 0, end: MIN, value: 5 },
      { key: 'a', start: MIN, end: 2 * MIN, value: 10 },
    ]);
  });

  it('puts a record in every overlapping hopping window', async () => {
    const spec: WindowedAggregate = { window: { kind: 'hopping', sizeMs: 2 * MIN, advanceMs: MIN, graceMs: 0 }, key: 'page', aggregate: { kind: 'count' } };
    const { values } = await runWindow(spec, [{ t: 90_000, key: 'x' }, { t: 150_000, key: 'x' }]);
    expect(values).toEqual([
      { key: 'x', start: 0, end: 2 * MIN, value: 1 },
      { key: 'x', start: MIN, end: 3 * MIN, value: 2 },
      { key: 'x', start: 2 * MIN, end: 4 * MIN, value: 1 },
    ]);
  });

  it('keeps stream time per partition, so one partition running ahead makes no other late', async () => {
    const spec: WindowedAggregate = { window: { kind: 'tumbling', sizeMs: MIN, graceMs: 0 }, key: 'page', aggregate: { kind: 'count' } };
    const { late, values } = await runWindow(spec, [
      { t: 5 * MIN, key: 'a', partition: 0 },
      { t: 1_000, key: 'a', partition: 1 },
    ]);
    expect(late).toHaveLength(0);
    expect(values).toHaveLength(2);
  });

  it('holds input offsets until the window holding them is emitted and acknowledged', async () => {
    const mark = new PartitionWatermark('t', 0);
    const spec: WindowedAggregate = { window: { kind: 'tumbling', sizeMs: MIN, graceMs: 0 }, key: 'page', aggregate: { kind: 'count' } };
    const { out } = await runWindow(spec, [{ t: 0, key: 'a' }, { t: 1, key: 'b' }, { t: MIN, key: 'a' }], mark);
    expect(out).toHaveLength(3);
    expect(mark.committable()).toBeUndefined();
    out[1]!.token!.done(); // b's window: offset 1 settled but 0 is not
    expect(mark.committable()).toBeUndefined();
    out[0]!.token!.done(); // a's first window: offsets 0 and 1 settle
    expect(mark.committable()).toBe(2n);
    out[2]!.token!.done();
    expect(mark.committable()).toBe(3n);
  });

  it('emits the changed aggregates of a global window when the input ends', async () => {
    const spec: WindowedAggregate = { window: { kind: 'global' }, key: 'page', aggregate: { kind: 'count' } };
    const { values } = await runWindow(spec, [{ t: 5, key: 'a' }, { t: 1, key: 'b' }, { t: 9, key: 'a' }]);
    expect(values).toEqual([
      { key: 'a', value: 2 },
      { key: 'b', value: 1 },
    ]);
  });
});
