import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  builtinAggregator,
  formatDuration,
  isWindowClosed,
  parseDuration,
  parseRate,
  WindowConfigSchema,
  windowsFor,
  type WindowSpec,
} from '../../../src/processors/index.ts';

describe('durations and rates', () => {
  it('parses units and compounds, and formats back', () => {
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1d')).toBe(86_400_000);
    expect(parseDuration('1 m')).toBeUndefined();
    expect(parseDuration('m')).toBeUndefined();
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(60_000)).toBe('1m');
    expect(parseRate('100/s')).toBe(100);
    expect(parseRate('30/m')).toBe(0.5);
    expect(parseRate('fast')).toBeUndefined();
  });
});

describe('WindowConfigSchema', () => {
  it('normalises tumbling, hopping and global windows', () => {
    expect(WindowConfigSchema.parse({ tumbling: '1m', key: 'city', aggregate: 'count' })).toEqual({
      window: { kind: 'tumbling', sizeMs: 60_000, graceMs: 0 },
      key: 'city',
      aggregate: { kind: 'count' },
    });
    expect(WindowConfigSchema.parse({ hopping: { size: '5m', advance: '1m' }, aggregate: 'sum', field: 'amount', grace: '10s' })).toEqual({
      window: { kind: 'hopping', sizeMs: 300_000, advanceMs: 60_000, graceMs: 10_000 },
      aggregate: { kind: 'sum', field: 'amount' },
    });
    expect(WindowConfigSchema.parse({ global: true, aggregate: { module: './agg.ts' } })).toEqual({
      window: { kind: 'global' },
      aggregate: { kind: 'module', module: './agg.ts', export: 'default' },
    });
  });

  it('refuses no kind, two kinds, a missing or stray field, advance > size and huge fan-out', () => {
    const bad = [
      { aggregate: 'count' },
      { tumbling: '1m', global: true, aggregate: 'count' },
      { tumbling: '1m', aggregate: 'sum' },
      { tumbling: '1m', aggregate: 'count', field: 'x' },
      { hopping: { size: '1m', advance: '2m' }, aggregate: 'count' },
      { hopping: { size: '1d', advance: '1s' }, aggregate: 'count' },
      { tumbling: '0s', aggregate: 'count' },
      { tumbling: '1m', aggregate: 'median' },
    ];
    for (const w of bad) expect(WindowConfigSchema.safeParse(w).success, JSON.stringify(w)).toBe(false);
  });
});

describe('windowsFor', () => {
  const tumbling: WindowSpec = { kind: 'tumbling', sizeMs: 60_000, graceMs: 0 };
  const hopping: WindowSpec = { kind: 'hopping', sizeMs: 300_000, advanceMs: 60_000, graceMs: 5_000 };

  it('puts a record in the one tumbling window that holds it, aligned to the epoch', () => {
    expect(windowsFor(61_000, tumbling)).toEqual([{ start: 60_000, end: 120_000 }]);
    expect(windowsFor(60_000, tumbling)).toEqual([{ start: 60_000, end: 120_000 }]);
    expect(windowsFor(-1, tumbling)).toEqual([{ start: -60_000, end: 0 }]);
  });

  it('puts a record in size/advance hopping windows, oldest first', () => {
    expect(windowsFor(310_000, hopping)).toEqual([
      { start: 60_000, end: 360_000 },
      { start: 120_000, end: 420_000 },
      { start: 180_000, end: 480_000 },
      { start: 240_000, end: 540_000 },
      { start: 300_000, end: 600_000 },
    ]);
  });

  it('every window returned contains the timestamp, and no containing window is missed', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), (ts, a, k) => {
        const spec: WindowSpec = { kind: 'hopping', sizeMs: a * k * 1000, advanceMs: a * 1000, graceMs: 0 };
        const ws = windowsFor(ts, spec);
        expect(ws).toHaveLength(k);
        for (const w of ws) {
          expect(w.start <= ts && ts < w.end).toBe(true);
          expect(w.start % spec.advanceMs === 0).toBe(true);
        }
      }),
    );
  });

  it('a window closes once the watermark passes its end plus grace; a global one never', () => {
    const w = { start: 0, end: 300_000 };
    expect(isWindowClosed(w, hopping, 304_999)).toBe(false);
    expect(isWindowClosed(w, hopping, 305_000)).toBe(true);
    expect(isWindowClosed(windowsFor(5, { kind: 'global' })[0]!, { kind: 'global' }, Number.MAX_SAFE_INTEGER)).toBe(false);
  });
});

describe('builtinAggregator', () => {
  const run = (agg: ReturnType<typeof builtinAggregator>, values: unknown[]) => agg.result(values.reduce((acc, v) => agg.add(acc, v), agg.init()));
  const values = [{ n: 3 }, { n: -1 }, { n: 10 }];

  it('count, sum, min, max and avg', () => {
    expect(run(builtinAggregator({ kind: 'count' }), values)).toBe(3);
    expect(run(builtinAggregator({ kind: 'sum', field: 'n' }), values)).toBe(12);
    expect(run(builtinAggregator({ kind: 'min', field: 'n' }), values)).toBe(-1);
    expect(run(builtinAggregator({ kind: 'max', field: 'n' }), values)).toBe(10);
    expect(run(builtinAggregator({ kind: 'avg', field: 'n' }), values)).toBe(4);
  });

  it('merge of two partial accumulators equals one pass', () => {
    for (const kind of ['sum', 'min', 'max', 'avg'] as const) {
      const agg = builtinAggregator({ kind, field: 'n' });
      const left = agg.add(agg.init(), values[0]);
      const right = values.slice(1).reduce((acc, v) => agg.add(acc, v), agg.init());
      expect(agg.result(agg.merge!(left, right))).toBe(run(agg, values));
    }
  });

  it('a missing or non-numeric field is a PROCESSOR error, not a NaN', () => {
    const sum = builtinAggregator({ kind: 'sum', field: 'n' });
    expect(() => sum.add(sum.init(), { n: 'x' })).toThrow(/not a finite number/);
    expect(() => sum.add(sum.init(), {})).toThrow(/missing/);
  });
});
